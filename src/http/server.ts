import { once } from "node:events";
import type { AddressInfo } from "node:net";
import express, { type Request, type Response } from "express";
import { pinoHttp } from "pino-http";
import type { Logger } from "../log.js";
import type { CurrentSnapshot } from "../exposition/current.js";
import type { ExporterMetrics } from "../exposition/exporter-metrics.js";
import { EMPTY_EXPOSITION, gzipBody } from "../exposition/render.js";
import { isReady, waitingTargets } from "../domain/snapshot.js";
import type { BuildInfo } from "../version.js";
import { landingPage } from "./landing-page.js";

export const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
export const OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

export interface AppOptions {
  readonly telemetryPath: string;
  readonly current: CurrentSnapshot;
  readonly exporterMetrics: ExporterMetrics;
  readonly build: BuildInfo;
  readonly logger: Logger;
}

/**
 * /metrics writes the bytes rendered at the last poll (plus the small self-metrics registry) with
 * explicit headers: no per-scrape rendering, ETag hashing or compression of association data.
 */
export function createApp(options: AppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  // Request logs are debug-level; without debug the middleware would only cost a child logger per scrape.
  if (options.logger.isLevelEnabled("debug")) app.use(pinoHttp({ logger: options.logger, useLevel: "debug" }));

  const routes: Record<string, (req: Request, res: Response) => Promise<void> | void> = {
    "/": (_req, res) => {
      res.status(200).type("html").send(landingPage(options.build, options.telemetryPath));
    },
    "/healthz": (_req, res) => {
      res.status(200).type("text/plain").send("ok\n");
    },
    "/readyz": (_req, res) => {
      const snapshot = options.current.get()?.snapshot;
      if (isReady(snapshot)) {
        res.status(200).type("text/plain").send("ready\n");
        return;
      }
      const waiting = snapshot ? waitingTargets(snapshot).map(({ target }) => (target.accountId ? `${target.accountId}/${target.region}` : target.region)) : [];
      const detail = snapshot ? `waiting for a first successful poll of: ${waiting.join(", ")}` : "waiting for the first poll";
      res.status(503).type("text/plain").send(`not ready: ${detail}\n`);
    },
    [options.telemetryPath]: async (req, res) => {
      const exposition = options.current.get()?.exposition;
      // text/plain first: a client that accepts anything (curl, a browser) gets the classic format;
      // Prometheus ranks OpenMetrics higher and gets it.
      // Offered with their version parameters: Prometheus asks for versioned types, and a versioned
      // Accept entry only matches an offer with the same parameter.
      const chosen = req.accepts(["text/plain; version=0.0.4", "application/openmetrics-text; version=1.0.0", "application/openmetrics-text; version=0.0.1"]);
      const openMetrics = typeof chosen === "string" && chosen.startsWith("application/openmetrics-text");
      const self = await options.exporterMetrics.render(openMetrics ? "openmetrics" : "text");
      const gzip = req.acceptsEncodings("gzip", "identity") === "gzip";
      // The association data is written as cached chunks; only the small self-metrics part is new per scrape.
      const body = gzip
        ? gzipBody(exposition ?? EMPTY_EXPOSITION, self)
        : { chunks: [...(exposition?.text ?? []), self], length: (exposition?.textLength ?? 0) + self.length };
      res.status(200);
      res.setHeader("Content-Type", openMetrics ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE);
      res.setHeader("Content-Length", body.length);
      res.setHeader("Vary", "Accept, Accept-Encoding");
      res.setHeader("Cache-Control", "no-store");
      if (gzip) res.setHeader("Content-Encoding", "gzip");
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      res.cork();
      for (const chunk of body.chunks.slice(0, -1)) res.write(chunk);
      res.end(body.chunks.at(-1));
    },
  };

  app.use(async (req, res, next) => {
    const handler = Object.hasOwn(routes, req.path) ? routes[req.path] : undefined;
    if (!handler) {
      res.status(404).type("text/plain").send(`404 not found: ${req.path}\n`);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.status(405).set("Allow", "GET, HEAD").type("text/plain").send(`405 method not allowed: ${req.method}\n`);
      return;
    }
    try {
      await handler(req, res);
    } catch (err) {
      next(err);
    }
  });
  return app;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Stops accepting, lets in-flight requests finish, closes idle keep-alive connections. */
  close(): Promise<void>;
}

export async function listen(app: express.Express, host: string | undefined, port: number): Promise<RunningServer> {
  const server = host === undefined ? app.listen(port) : app.listen(port, host);
  await Promise.race([
    once(server, "listening"),
    once(server, "error").then(([err]) => {
      throw err;
    }),
  ]);
  const address = server.address() as AddressInfo;
  const urlHost = host === undefined || host === "::" || host === "0.0.0.0" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  return {
    host: address.address,
    port: address.port,
    url: `http://${urlHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
