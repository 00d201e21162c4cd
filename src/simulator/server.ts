import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CONTROL_PREFIX, handleControlRequest, json } from "./control-routes.js";
import { Simulator } from "./simulator.js";
import { handleSsmRequest } from "./ssm-protocol.js";
import { handleStsRequest } from "./sts-protocol.js";
import type { SimResponse } from "./types.js";

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  defaultAccountId?: string;
  /** See SimulatorStateOptions.credentialLifetimeSeconds (AssumeRole Expiration override). */
  credentialLifetimeSeconds?: number;
  /** Epoch milliseconds; see SimulatorStateOptions.now. */
  now?: () => number;
}

export interface RunningSimulator {
  /** e.g. http://127.0.0.1:43567 — use as the SDK `endpoint` or AWS_ENDPOINT_URL_SSM/_STS. */
  url: string;
  port: number;
  sim: Simulator;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * One HTTP server for everything: SSM (AWS JSON 1.1, told apart by X-Amz-Target), STS (query
 * protocol, told apart by its form-encoded body) and the `/_sim/` control API.
 */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = new Simulator({
    ...(opts.defaultAccountId !== undefined && { defaultAccountId: opts.defaultAccountId }),
    ...(opts.credentialLifetimeSeconds !== undefined && { credentialLifetimeSeconds: opts.credentialLifetimeSeconds }),
    ...(opts.now !== undefined && { now: opts.now }),
  });
  const server = createServer((req, res) => {
    handle(sim, req)
      .then((response) => send(res, response))
      .catch((err: unknown) => send(res, json(500, { error: err instanceof Error ? err.message : String(err) })));
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    sim,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // SDK clients keep connections alive; without this close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
}

async function handle(sim: Simulator, req: IncomingMessage): Promise<SimResponse> {
  const url = new URL(req.url ?? "/", "http://simulator.invalid");
  const method = req.method ?? "GET";
  const body = await readBody(req);
  if (url.pathname.startsWith(CONTROL_PREFIX)) return handleControlRequest(sim, method, url, body);
  if (method !== "POST") {
    return json(method === "GET" && url.pathname === "/" ? 200 : 404, {
      service: "ssm-association-simulator",
      protocols: ["AmazonSSM (AWS JSON 1.1): POST / with X-Amz-Target", "STS (query): POST / Action=GetCallerIdentity|AssumeRole"],
      control: `${CONTROL_PREFIX}...`,
    });
  }
  const request = { headers: req.headers, body };
  if (req.headers["x-amz-target"] === undefined && isForm(req.headers["content-type"])) {
    return handleStsRequest(sim, request);
  }
  return handleSsmRequest(sim, request);
}

function isForm(contentType: string | undefined): boolean {
  return (contentType ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded");
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, response: SimResponse): void {
  const body = Buffer.from(response.body, "utf8");
  res.writeHead(response.status, { ...response.headers, "content-length": String(body.length) });
  res.end(body);
}
