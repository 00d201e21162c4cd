import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CONTROL_PREFIX, handleControlRequest, json } from "./control-routes.js";
import { finishOrganizationsRequest, isOrganizationsTarget, prepareOrganizationsRequest } from "./organizations-protocol.js";
import { Simulator } from "./simulator.js";
import { finishSsmRequest, prepareSsmRequest } from "./ssm-protocol.js";
import { handleStsRequest } from "./sts-protocol.js";
import type { SimOutcome, SimResponse } from "./types.js";

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
  /** e.g. http://127.0.0.1:43567 — use as the SDK `endpoint` or AWS_ENDPOINT_URL_SSM/_STS/_ORGANIZATIONS. */
  url: string;
  port: number;
  sim: Simulator;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * One HTTP server for everything: SSM and Organizations (AWS JSON 1.1, told apart by their
 * X-Amz-Target prefixes), STS (query
 * protocol, told apart by its form-encoded body) and the `/_sim/` control API.
 */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = new Simulator({
    ...(opts.defaultAccountId !== undefined && { defaultAccountId: opts.defaultAccountId }),
    ...(opts.credentialLifetimeSeconds !== undefined && { credentialLifetimeSeconds: opts.credentialLifetimeSeconds }),
    ...(opts.now !== undefined && { now: opts.now }),
  });
  /** Answers held back by "slow" faults; close() drops them. */
  const delayed = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    handle(sim, req)
      .then((outcome) => perform(outcome, req, res, delayed))
      .catch((err: unknown) => send(res, json(500, { error: err instanceof Error ? err.message : String(err) })));
  });
  // A black-holed request is never read to its end; node would answer 408 after requestTimeout
  // (default 5 minutes). Here it stays open until the client gives up or the simulator closes.
  server.requestTimeout = 0;
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
        for (const timer of delayed) clearTimeout(timer);
        delayed.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        // SDK clients keep connections alive, and hang/blackhole faults hold requests open; without
        // this close() would wait for all of them.
        server.closeAllConnections();
      }),
  };
}

async function handle(sim: Simulator, req: IncomingMessage): Promise<SimOutcome> {
  const url = new URL(req.url ?? "/", "http://simulator.invalid");
  const method = req.method ?? "GET";
  const isAws = !url.pathname.startsWith(CONTROL_PREFIX) && method === "POST";
  if (isAws && isOrganizationsTarget(req.headers)) {
    const prepared = prepareOrganizationsRequest(sim, req.headers);
    if (prepared.call?.fault?.kind === "blackhole") return { type: "blackhole" };
    return finishOrganizationsRequest(sim, prepared, await readBody(req));
  }
  if (isAws && !isSts(req)) {
    // Headers first, so a "blackhole" fault can leave the body unread.
    const prepared = prepareSsmRequest(sim, req.headers);
    if (prepared.call?.fault?.kind === "blackhole") return { type: "blackhole" };
    return finishSsmRequest(sim, prepared, await readBody(req));
  }
  const body = await readBody(req);
  // STS names its operation only in the body, so its "blackhole" comes after reading it.
  if (isAws) return handleStsRequest(sim, { headers: req.headers, body });
  if (url.pathname.startsWith(CONTROL_PREFIX)) return respond(handleControlRequest(sim, method, url, body));
  return respond(
    json(method === "GET" && url.pathname === "/" ? 200 : 404, {
      service: "ssm-association-simulator",
      protocols: [
        "AmazonSSM (AWS JSON 1.1): POST / with X-Amz-Target",
        "AWSOrganizationsV20161128 (AWS JSON 1.1): POST / with X-Amz-Target",
        "STS (query): POST / Action=GetCallerIdentity|AssumeRole",
      ],
      control: `${CONTROL_PREFIX}...`,
    }),
  );
}

function respond(response: SimResponse): SimOutcome {
  return { type: "respond", response };
}

function isSts(req: IncomingMessage): boolean {
  return req.headers["x-amz-target"] === undefined && isForm(req.headers["content-type"]);
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

/** Carries out what the protocol layer decided, on the real connection. */
function perform(outcome: SimOutcome, req: IncomingMessage, res: ServerResponse, delayed: Set<NodeJS.Timeout>): void {
  const socket = req.socket;
  switch (outcome.type) {
    case "respond": {
      const { response, delayMs } = outcome;
      if (delayMs === undefined) return send(res, response);
      // If the client gives up first, nobody is waiting for the answer any more.
      const onClose = () => {
        clearTimeout(timer);
        delayed.delete(timer);
      };
      const timer = setTimeout(() => {
        delayed.delete(timer);
        socket.off("close", onClose);
        if (!socket.destroyed) send(res, response);
      }, delayMs);
      delayed.add(timer);
      socket.once("close", onClose);
      return;
    }
    case "partialBody": {
      const body = Buffer.from(outcome.response.body, "utf8");
      res.writeHead(outcome.response.status, { ...outcome.response.headers, "content-length": String(body.length) });
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => socket.end());
      return;
    }
    case "hang":
      return;
    case "blackhole":
      req.pause();
      socket.pause();
      return;
    case "rst":
      socket.resetAndDestroy();
      return;
    case "fin":
      socket.end();
      return;
  }
}

function send(res: ServerResponse, response: SimResponse): void {
  const body = Buffer.from(response.body, "utf8");
  res.writeHead(response.status, { ...response.headers, "content-length": String(body.length) });
  res.end(body);
}
