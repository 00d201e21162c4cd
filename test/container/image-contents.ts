/**
 * Runs INSIDE the built image, on the image's own Node.js (type stripping, node: modules only), as root
 * so that it can read every folder, on a read-only root filesystem. test/container/run.sh mounts this file
 * and the repository's package-lock.json under /check:
 *
 *   node /check/image-contents.ts /check/package-lock.json <expected Node.js version, e.g. v24.21.0>
 *
 * Prints one line per finding and exits 1 if the image holds anything it must not, or lacks a
 * production dependency.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const APP = "/app";
const [lockPath, expectedNode] = process.argv.slice(2);
if (lockPath === undefined || expectedNode === undefined) {
  console.error("usage: node image-contents.ts <package-lock.json> <expected node version>");
  process.exit(2);
}
const problems: string[] = [];

if (process.version !== expectedNode) problems.push(`node is ${process.version}, the base image's tag says ${expectedNode}`);

// 1. /app holds the build output, the production dependencies and package.json: nothing else.
const appEntries = readdirSync(APP).sort();
if (appEntries.join(" ") !== "dist node_modules package.json") problems.push(`/app holds ${appEntries.join(", ")}; expected dist, node_modules, package.json`);
if (!existsSync(join(APP, "dist/main.js"))) problems.push("no /app/dist/main.js");

/** Every path under root (files, folders, links), relative to it; does not follow links. */
function walk(root: string, skip: (path: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const pending = [""];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    let names: string[];
    try {
      names = readdirSync(join(root, rel));
    } catch {
      continue;
    }
    for (const name of names) {
      const path = rel === "" ? name : `${rel}/${name}`;
      if (skip(path)) continue;
      out.push(path);
      if (lstatSync(join(root, path)).isDirectory()) pending.push(path);
    }
  }
  return out;
}

// 2. No sources, development tools, tests or benchmarks in the build output.
const distFiles = walk(join(APP, "dist"));
for (const path of distFiles) {
  if (/\.(c|m)?ts$/.test(path)) problems.push(`TypeScript source in the image: /app/dist/${path}`);
  if (/(^|\/)(simulator|demo)(\/|\.|$)/.test(path)) problems.push(`development tool in the image: /app/dist/${path}`);
  if (/(^|\/)(test|tests|bench|soak|__tests__)(\/|$)|\.test\.js$/.test(path)) problems.push(`test or benchmark code in the image: /app/dist/${path}`);
}

// 3. node_modules holds exactly the production dependencies of package-lock.json (npm ci --omit=dev):
//    every non-dev, non-optional entry, and no dev entry.
interface LockEntry {
  dev?: boolean;
  optional?: boolean;
}
const lock = JSON.parse(readFileSync(lockPath, "utf8")) as { packages: Record<string, LockEntry> };
const dev: string[] = [];
const missing: string[] = [];
let production = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  if (path === "") continue;
  const present = existsSync(join(APP, path));
  if (entry.dev === true) {
    if (present) dev.push(path);
  } else if (entry.optional !== true) {
    production += 1;
    if (!present) missing.push(path);
  }
}
if (dev.length > 0) problems.push(`${dev.length} dev dependencies installed: ${dev.slice(0, 10).join(", ")}`);
if (missing.length > 0) problems.push(`${missing.length} production dependencies missing: ${missing.slice(0, 10).join(", ")}`);

// 4. No npm or Yarn caches, logs or config files, and nothing left in the temp folders, anywhere.
const cacheFolders = [
  "/root/.npm",
  "/root/.cache",
  "/root/.yarn",
  "/root/.config",
  "/home/node/.npm",
  "/home/node/.cache",
  "/home/node/.yarn",
  "/home/node/.config",
  "/usr/local/share/.cache",
  "/usr/local/share/.config",
  "/app/.npm",
  "/app/node_modules/.cache",
];
for (const folder of cacheFolders) if (existsSync(folder)) problems.push(`cache or config folder in the image: ${folder}`);
for (const folder of ["/tmp", "/var/tmp"]) {
  const left = readdirSync(folder);
  if (left.length > 0) problems.push(`${folder} is not empty: ${left.slice(0, 5).join(", ")}`);
}
const pseudo = /^(proc|sys|dev|check|run)(\/|$)/;
const everything = walk("/", (path) => pseudo.test(path));
for (const path of everything) {
  const name = path.slice(path.lastIndexOf("/") + 1);
  // npm's content cache and logs, Yarn 1's cache, and config files that could carry a registry token or CA.
  if (["_cacache", "_logs", ".yarn-cache", "yarn-offline-mirror", ".npmrc", ".yarnrc", "npm-ca"].includes(name)) {
    problems.push(`npm or Yarn cache, log or config in the image: /${path}`);
  }
  if (/^(home\/[^/]+|root)\/\.(bash_history|node_repl_history)$/.test(path)) problems.push(`shell history in the image: /${path}`);
}
// The build's secret is mounted for its RUN steps only.
if (existsSync("/run/secrets/npm-ca")) problems.push("the build secret npm-ca is in the image: /run/secrets/npm-ca");

const modules = readdirSync(join(APP, "node_modules")).filter((name) => !name.startsWith("."));
console.log(
  `node ${process.version}; /app: ${appEntries.join(", ")}; dist: ${distFiles.length} entries; ` +
    `node_modules: ${modules.length} top-level entries, ${production - missing.length} of the lockfile's ${production} ` +
    `production packages, ${dev.length} dev packages; ${cacheFolders.length} cache folders and ${everything.length} paths searched for caches`,
);
for (const problem of problems) console.log(`PROBLEM: ${problem}`);
process.exit(problems.length > 0 ? 1 : 0);
