/**
 * A loopback HTTP proxy in front of the simulator that can hold the first page of a ListAssociations
 * poll. The exporter's AWS_ENDPOINT_URL_SSM / _STS point here; every request is forwarded unchanged.
 *
 * The soak holds a poll's first page (a ListAssociations call without NextToken) only while it reads
 * the exporter's heap, so that no poll is in flight during the reading (a fraction of a second; the
 * exporter's --poll.timeout keeps running meanwhile), and after its final reading. The simulator's
 * onBeforeList hook, where the churn runs, is synchronous and cannot wait; the proxy can.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface GateProxy {
  readonly url: string;
  /** ListAssociations requests without NextToken seen (the first pages of polls). */
  readonly firstPages: () => number;
  /** ListAssociations requests seen (all pages). */
  readonly listRequests: () => number;
  /** Requests the exporter gave up on (closed before the answer was complete), e.g. at its poll deadline. */
  readonly abandoned: () => number;
  readonly errors: () => readonly string[];
  close(): Promise<void>;
}

/**
 * `gate(poll)` is awaited before the first page of poll number `poll` (1, 2, ...) is forwarded.
 * `upstream` is the simulator's URL.
 */
export async function startGateProxy(upstream: string, gate: (poll: number) => Promise<void>): Promise<GateProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  const errors: string[] = [];
  let firstPages = 0;
  let listRequests = 0;
  let abandoned = 0;

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const upstreamReq = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on("error", (err) => {
      errors.push(`forwarding ${req.method} ${req.url}: ${err.message}`);
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    upstreamReq.end(body);
  };

  const server = createServer((req, res) => {
    res.on("close", () => {
      if (!res.writableFinished) abandoned++;
    });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.headers["x-amz-target"] !== "AmazonSSM.ListAssociations") {
        forward(req, res, body);
        return;
      }
      listRequests++;
      let first = false;
      try {
        const parsed = JSON.parse(body.toString("utf8") || "{}") as { NextToken?: unknown };
        first = parsed.NextToken === undefined || parsed.NextToken === null;
      } catch {
        errors.push("a ListAssociations request body is not JSON");
      }
      if (!first) {
        forward(req, res, body);
        return;
      }
      const poll = ++firstPages;
      // A rejected gate drops the request (the soak is over and the exporter already stopped).
      gate(poll).then(
        () => forward(req, res, body),
        () => res.destroy(),
      );
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    firstPages: () => firstPages,
    listRequests: () => listRequests,
    abandoned: () => abandoned,
    errors: () => errors,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      }),
  };
}
