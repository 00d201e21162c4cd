import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const MAIN_JS = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** A port that was free a moment ago (bound to 127.0.0.1:0, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export interface Spawned {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) and how long the process lived after `since`. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the built exporter (dist/main.js) as a user would; `npm test` builds first. */
export function spawnExporter(args: readonly string[], env: NodeJS.ProcessEnv = {}): Spawned {
  const child = spawn(process.execPath, [MAIN_JS, ...args], {
    env: { PATH: process.env.PATH, NODE_NO_WARNINGS: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (err += c.toString()));
  const exit = once(child, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return { child, stdout: () => out, stderr: () => err, exited: () => exit };
}

export async function isListening(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`);
    return true;
  } catch {
    return false;
  }
}

/** The environment that points the real AWS SDK at the simulator, with its dummy credentials. */
export function simulatorEnv(url: string, regions: readonly string[] = ["us-east-1"]): NodeJS.ProcessEnv {
  return {
    AWS_ENDPOINT_URL_SSM: url,
    AWS_ENDPOINT_URL_STS: url,
    AWS_ENDPOINT_URL_ORGANIZATIONS: url,
    AWS_ACCESS_KEY_ID: "AKIDSIMULATED0000001",
    AWS_SECRET_ACCESS_KEY: "simulated",
    AWS_EC2_METADATA_DISABLED: "true",
    SSM_EXPORTER_AWS_REGION: regions.join(","),
  };
}
