/**
 * What a build of the image cannot check. `npm run test:container` (test/container/run.sh) builds the
 * Dockerfile with buildah and runs the image: it proves the stages, the copies, the image's user,
 * entrypoint, port, labels and contents. What it cannot see: that the base image is pinned (a floating tag
 * builds just as well), that the build context keeps local files out (they are not copied, so the image
 * never shows them), and that the lockfile holds no production dependency that needs an install script
 * (the image installs with --ignore-scripts). Those are checked here, with Node.js only.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/config/config.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DOCKERFILE = readFileSync(`${ROOT}/Dockerfile`, "utf8");
const DOCKERIGNORE = readFileSync(`${ROOT}/.dockerignore`, "utf8");

/** The images of the FROM lines, without stage references (FROM build AS x) and flags. */
function baseImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const images: string[] = [];
  for (const match of dockerfile.matchAll(/^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$/gim)) {
    const [, image, stage] = match;
    if (image !== undefined && !stages.has(image.toLowerCase())) images.push(image);
    if (stage !== undefined) stages.add(stage.toLowerCase());
  }
  return images;
}

describe("the Dockerfile's base image", () => {
  const images = baseImages(DOCKERFILE);

  it("is the same full Node.js 24 version tag in every stage", () => {
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const image of images) expect(image).toMatch(/^node:24\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    expect(new Set(images).size).toBe(1);
  });

  it("is named in the label org.opencontainers.image.base.name", () => {
    expect(DOCKERFILE).toContain(`org.opencontainers.image.base.name="docker.io/library/${images[0]}"`);
  });

  it("finds FROM images and skips stage references", () => {
    const dockerfile = "FROM node:24.1.2-bookworm-slim AS build\nFROM --platform=$BUILDPLATFORM debian:bookworm AS tools\nFROM build AS final\n";
    expect(baseImages(dockerfile)).toEqual(["node:24.1.2-bookworm-slim", "debian:bookworm"]);
  });
});

describe("the Dockerfile's port", () => {
  it("is the default --web.listen-address port", () => {
    const commandLine = parseCommandLine([], {}, "0", "us-east-1");
    if (commandLine.kind !== "run") throw new Error(`expected a run configuration, got ${commandLine.kind}`);
    expect(DOCKERFILE).toMatch(new RegExp(`^EXPOSE ${commandLine.config.web.listenPort}$`, "m"));
  });
});

describe(".dockerignore", () => {
  const lines = DOCKERIGNORE.split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));

  it.each(["node_modules", "dist", "dist-dev", ".git", ".env", ".env.*", ".aws", "dev", "test"])("keeps %s out of the build context", (entry) => {
    expect(lines).toContain(entry);
  });

  it("lets nothing back in with an exception", () => {
    expect(lines.filter((line) => line.startsWith("!"))).toEqual([]);
  });
});

describe("package-lock.json", () => {
  it("has no production dependency with an install script (the image installs them with --ignore-scripts)", () => {
    expect(DOCKERFILE).toMatch(/npm ci --omit=dev --ignore-scripts/);
    const lock = JSON.parse(readFileSync(`${ROOT}/package-lock.json`, "utf8")) as {
      packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }>;
    };
    const withScripts = Object.entries(lock.packages).filter(([path, entry]) => path !== "" && entry.dev !== true && entry.hasInstallScript === true);
    expect(withScripts.map(([path]) => path)).toEqual([]);
  });
});
