import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { request, type RequestOptions } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PeerCertificate, TLSSocket } from "node:tls";
import { fileURLToPath } from "node:url";
import { afterAll, onTestFinished } from "vitest";
import { TOOLS_REQUIRED } from "../debian-tools.js";
import { waitFor } from "../helpers.js";
import { freePort, simulatorEnv, spawnExporter, type Spawned } from "../process.js";
export { simulatorEnv };

export const TLS_FIXTURES = fileURLToPath(new URL("../fixtures/tls/", import.meta.url));

/** A fixture file's text (PEM or YAML). */
export function fixture(name: string): string {
  return readFileSync(join(TLS_FIXTURES, name), "utf8");
}

/** Cleanup registration: vitest's onTestFinished in a test, afterAll in a beforeAll. */
export type Cleanup = (fn: () => void) => void;

/**
 * For processes started in a beforeAll: a Cleanup that runs at the file's afterAll. Call it at the top
 * level of a test file (an afterAll registered inside a beforeAll never runs, and the process would
 * outlive the test run).
 */
export function cleanupAfterAll(): Cleanup {
  const pending: (() => void)[] = [];
  afterAll(() => {
    for (const fn of pending.splice(0)) fn();
  });
  return (fn) => void pending.push(fn);
}

/** A scratch folder holding copies of the TLS fixtures, where a test writes (and rewrites) its web config. */
export function scratchWithFixtures(cleanup: Cleanup = onTestFinished): string {
  const dir = mkdtempSync(join(tmpdir(), "web-config-"));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of readdirSync(TLS_FIXTURES)) if (name.endsWith(".pem") || name.endsWith(".yml")) copyFileSync(join(TLS_FIXTURES, name), join(dir, name));
  return dir;
}

/** The AWS side: the simulator, as test/main.test.ts runs it. */

export interface RunningExporterProcess {
  readonly run: Spawned;
  readonly port: number;
  /** JSON log lines so far. */
  log(): Record<string, unknown>[];
}

/** Starts dist/main.js on a free port and waits for its "exporter started" line; killed when the test ends. */
export async function startExporterProcess(args: readonly string[], env: NodeJS.ProcessEnv, cleanup: Cleanup = onTestFinished): Promise<RunningExporterProcess> {
  const port = await freePort();
  const run = spawnExporter([`--web.listen-address=127.0.0.1:${port}`, "--poll.interval=2s", ...args], env);
  cleanup(() => {
    run.child.kill("SIGKILL"); // a no-op once it has exited
  });
  const log = () =>
    run
      .stdout()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  await waitFor(() => log().some((line) => line.msg === "exporter started") || run.child.exitCode !== null, 15_000, "exporter started");
  if (run.child.exitCode !== null) throw new Error(`the exporter exited ${run.child.exitCode}: ${run.stderr()}`);
  return { run, port, log };
}

export interface HttpsReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** The certificate the server presented on this (new) connection. */
  readonly peer: PeerCertificate;
}

export interface HttpsGetOptions {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly maxVersion?: RequestOptions["maxVersion"];
  readonly minVersion?: RequestOptions["minVersion"];
  readonly ciphers?: string;
  /** user:password for basic auth. */
  readonly auth?: string;
}

/** One GET over a new TLS connection (no agent, no session reuse), the way a scraper's first connection looks. */
export function httpsGet(url: string, options: HttpsGetOptions = {}): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        agent: false,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        maxVersion: options.maxVersion,
        minVersion: options.minVersion,
        ciphers: options.ciphers,
        auth: options.auth,
        timeout: 5_000,
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, peer }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** The error a GET ends with (a refused handshake, a reset connection), or undefined if it got an answer. */
export async function httpsError(url: string, options: HttpsGetOptions = {}): Promise<NodeJS.ErrnoException | undefined> {
  try {
    await httpsGet(url, options);
    return undefined;
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
}

/** Rewrites a file the way an editor or `kubectl apply` of a Secret would: a new file swapped in by rename. */
export function replaceFile(path: string, text: string): void {
  const next = `${path}.next`;
  writeFileSync(next, text);
  // rename is atomic: the exporter reads either the old or the new file, never half of one.
  renameSync(next, path);
}

/**
 * System tools a few cases run (curl, openssl) when present. Like debian-tools.ts: without the tool the
 * case skips saying which package to install; under CI=true it fails instead.
 */
const TOOL_PACKAGES = { curl: "curl", openssl: "openssl" } as const;
export type SystemTool = keyof typeof TOOL_PACKAGES;

const present = new Map<SystemTool, boolean>();

export function skipWithoutTool(tool: SystemTool): boolean {
  let found = present.get(tool);
  if (found === undefined) {
    found = spawnSync(tool, [tool === "openssl" ? "version" : "--version"], { encoding: "utf8", timeout: 10_000 }).error === undefined;
    present.set(tool, found);
  }
  if (found) return false;
  if (TOOLS_REQUIRED) throw new Error(`${tool} is not installed and CI=true requires it (apt-get install ${TOOL_PACKAGES[tool]})`);
  process.stderr.write(`${tool} is not installed: skipped (apt-get install ${TOOL_PACKAGES[tool]}; under CI=true this fails instead)\n`);
  return true;
}
