/**
 * The container image's contract, checked on the Dockerfile and .dockerignore: no Docker engine is
 * available to build the image here. `npm test` builds first, so dist/ exists, as it does inside the
 * build stage after `npm run build`. .ci/container-smoke.sh runs the runtime stage's steps for real.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/config/config.js";
import {
  checkBaseImages,
  checkContextCopies,
  checkDockerignore,
  checkEntrypoint,
  checkExpose,
  checkLabels,
  checkRuntimeContents,
  checkStageCopies,
  checkStages,
  checkUser,
  loadProject,
  OCI_LABELS,
  resolvedBase,
  runtimeStage,
  type Project,
} from "./checks.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DOCKERFILE = readFileSync(`${ROOT}/Dockerfile`, "utf8");
const DOCKERIGNORE = readFileSync(`${ROOT}/.dockerignore`, "utf8");

function defaultListenPort(): number {
  const commandLine = parseCommandLine([], {}, "0", "us-east-1");
  if (commandLine.kind !== "run") throw new Error(`expected a run configuration, got ${commandLine.kind}`);
  return commandLine.config.web.listenPort;
}

const project = loadProject(ROOT, defaultListenPort());

describe("the Dockerfile", () => {
  it("has separate build and runtime stages", () => {
    expect(checkStages(project)).toEqual([]);
    expect(project.dockerfile.stages.length).toBeGreaterThanOrEqual(2);
  });

  it("pins every stage to the same full Node.js 24 tag", () => {
    expect(checkBaseImages(project)).toEqual([]);
    const bases = project.dockerfile.stages.map((s) => resolvedBase(project.dockerfile, s));
    for (const base of bases) expect(base).toMatch(/^node:24\.\d+\.\d+-/);
  });

  it("copies from the build context only files that exist in the repository", () => {
    expect(checkContextCopies(project)).toEqual([]);
  });

  it("copies from other stages only what those stages create", () => {
    expect(checkStageCopies(project)).toEqual([]);
  });

  it("ships only dist/, production node_modules/ and package.json, under /app, with NODE_ENV=production", () => {
    expect(checkRuntimeContents(project)).toEqual([]);
  });

  it('starts with ENTRYPOINT ["node", "dist/main.js"], and the build creates dist/main.js', () => {
    expect(checkEntrypoint(project)).toEqual([]);
  });

  it("runs as a numeric, non-root user", () => {
    expect(checkUser(project)).toEqual([]);
  });

  it("exposes the port of the default --web.listen-address, 9877", () => {
    expect(project.listenPort).toBe(9877);
    expect(checkExpose(project)).toEqual([]);
  });

  it("carries the OCI labels and passes REVISION on to build_info", () => {
    expect(checkLabels(project)).toEqual([]);
    const labelled = runtimeStage(project.dockerfile)
      .instructions.filter((i) => i.keyword === "LABEL")
      .map((i) => i.args)
      .join(" ");
    for (const key of OCI_LABELS) expect(labelled).toContain(`${key}=`);
  });
});

describe("package-lock.json", () => {
  it("has no production dependency with an install script (the image installs them with --ignore-scripts)", () => {
    expect(DOCKERFILE).toMatch(/npm ci --omit=dev --ignore-scripts/);
    const lock = JSON.parse(readFileSync(`${ROOT}/package-lock.json`, "utf8")) as {
      packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }>;
    };
    const withScripts = Object.entries(lock.packages).filter(([path, entry]) => path !== "" && !entry.dev && entry.hasInstallScript);
    expect(withScripts.map(([path]) => path)).toEqual([]);
  });
});

describe(".dockerignore", () => {
  it("keeps node_modules and .git out of the build context, and nothing the Dockerfile copies", () => {
    expect(checkDockerignore(project)).toEqual([]);
  });
});

type Edit = readonly [string | RegExp, string];

/** The real Dockerfile with some edits (each must apply), and the real .dockerignore plus some lines. */
function broken(dockerfileEdits: readonly Edit[], dockerignoreLines: readonly string[] = []): Project {
  let dockerfile = DOCKERFILE;
  for (const [from, to] of dockerfileEdits) {
    const edited = dockerfile.replace(from, to);
    if (edited === dockerfile) throw new Error(`edit ${String(from)} does not apply`);
    dockerfile = edited;
  }
  const dockerignore = [DOCKERIGNORE, ...dockerignoreLines].join("\n");
  return loadProject(ROOT, project.listenPort, { dockerfile, dockerignore });
}

describe("the checks catch a broken Dockerfile", () => {
  const cases: [string, readonly Edit[], (p: Project) => string[], RegExp][] = [
    ["one stage only", [[/FROM[\s\S]*(?=FROM node:\S+ AS runtime)/, ""]], checkStages, /1 stage\(s\)/],
    ["node:latest", [[/FROM node:\S+ AS runtime/, "FROM node:latest AS runtime"]], checkBaseImages, /node:latest is not/],
    ["a floating major tag", [[/FROM node:\S+ AS build/, "FROM node:24-bookworm-slim AS build"]], checkBaseImages, /node:24-bookworm-slim is not/],
    ["another Node.js major", [[/FROM node:\S+ AS prod-deps/, "FROM node:22.22.0-bookworm-slim AS prod-deps"]], checkBaseImages, /node:22\.22\.0-bookworm-slim is not/],
    ["a context file that does not exist", [["COPY tsconfig.json", "COPY tsconfig.nope.json"]], checkContextCopies, /tsconfig\.nope\.json does not exist/],
    ["a stage path nobody created", [["--from=build /app/dist", "--from=build /app/lib"]], checkStageCopies, /does not create \/app\/lib/],
    ["a stage that does not exist", [["--from=build /app/dist", "--from=builder /app/dist"]], checkStageCopies, /--from=builder is not an earlier stage/],
    ["sources in the runtime stage", [["COPY package.json ./\n", "COPY package.json ./\nCOPY src/ ./src/\n"]], checkRuntimeContents, /copies src/],
    ["the whole build stage", [["COPY --from=build /app/dist ./dist", "COPY --from=build /app ./"]], checkRuntimeContents, /does not copy dist/],
    ["dist/ from the host", [["COPY --from=build /app/dist ./dist", "COPY dist ./dist"]], checkRuntimeContents, /dist is copied from the build context/],
    ["no package.json at run time", [["COPY package.json ./\n", ""]], checkRuntimeContents, /does not copy package\.json/],
    ["dev dependencies in the runtime", [["RUN npm ci --omit=dev --ignore-scripts", "RUN npm ci --ignore-scripts"]], checkRuntimeContents, /holds dev dependencies/],
    ["npm ci in the runtime stage", [["USER 65534:65534", "RUN npm ci\nUSER 65534:65534"]], checkRuntimeContents, /installs dev dependencies/],
    ["no NODE_ENV", [["ENV NODE_ENV=production\n", ""]], checkRuntimeContents, /NODE_ENV=production/],
    ["a shell-form ENTRYPOINT", [['ENTRYPOINT ["node", "dist/main.js"]', "ENTRYPOINT node dist/main.js"]], checkEntrypoint, /shell form/],
    ["an entry script the build does not make", [['"dist/main.js"]', '"dist/server.js"]']], checkEntrypoint, /dist\/server\.js does not exist/],
    ["a named user", [["USER 65534:65534", "USER node"]], checkUser, /not numeric/],
    ["root", [["USER 65534:65534", "USER 0:0"]], checkUser, /is root/],
    ["no USER", [["USER 65534:65534\n", ""]], checkUser, /run as root/],
    ["another port", [["EXPOSE 9877", "EXPOSE 8080"]], checkExpose, /exposes 8080/],
    ["a missing label", [[/\s*org\.opencontainers\.image\.licenses="[^"]*" \\\n/, "\n"]], checkLabels, /no label org\.opencontainers\.image\.licenses/],
    ["a wrong license", [['licenses="Apache-2.0"', 'licenses="MIT"']], checkLabels, /"MIT", package\.json says "Apache-2\.0"/],
    [
      "ARG REVISION before the first FROM only",
      [
        ['ARG REVISION=""\n', ""],
        [/^/, 'ARG REVISION=""\n'],
      ],
      checkLabels,
      /declares no ARG REVISION before it/,
    ],
    ["no revision for build_info", [[/ENV SSM_EXPORTER_BUILD_REVISION=.*\n/, ""]], checkLabels, /does not set ENV SSM_EXPORTER_BUILD_REVISION/],
  ];

  it.each(cases)("%s", (_name, edits, check, problem) => {
    expect(check(broken(edits)).join("\n")).toMatch(problem);
  });

  it.each([
    ["src/ left out of the context", ["src"], /COPY src, but \.dockerignore excludes src\//],
    ["*.json left out of the context", ["*.json"], /COPY package\.json, but \.dockerignore excludes package\.json/],
    ["node_modules let in", ["!node_modules"], /lets node_modules into the build context/],
    [".git let in", ["!.git"], /lets \.git into the build context/],
  ] as [string, string[], RegExp][])(".dockerignore: %s", (_name, lines, problem) => {
    expect(checkDockerignore(broken([], lines)).join("\n")).toMatch(problem);
  });
});
