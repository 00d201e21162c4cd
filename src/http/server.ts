import { once } from "node:events";
import type { AddressInfo } from "node:net";
import express, { type Request, type Response } from "express";
import { pinoHttp } from "pino-http";
import type { Logger } from "../log.js";
import { describeTarget, isReady, pendingTargets } from "../domain/snapshot.js";
import type { ExpositionStore, Format } from "../exposition/store.js";
import type { BuildInfo } from "../version.js";
import { landingPage } from "./landing-page.js";

export interface AppOptions {
  readonly telemetryPath: string;
  readonly store: ExpositionStore;
  readonly build: BuildInfo;
  readonly logger: Logger;
}

/** Request headers whose values are secrets of the scraper; never logged. */
const SECRET_HEADERS = ["authorization", "proxy-authorization", "cookie", "x-api-key"];

/**
 * The request as logged at debug level: the path without its query string (it may carry tokens) and
 * the headers without credentials or cookies.
 */
function redactedRequest(req: { method?: string; url?: string; headers?: Record<string, unknown>; remoteAddress?: string }): Record<string, unknown> {
  const headers = { ...req.headers };
  for (const name of SECRET_HEADERS) if (name in headers) headers[name] = "[REDACTED]";
  const url = req.url ?? "";
  const query = url.indexOf("?");
  return { method: req.method, url: query < 0 ? url : `${url.slice(0, query)}?[REDACTED]`, headers, remoteAddress: req.remoteAddress };
}

/**
 * Routes, content negotiation and writing: the bytes themselves come from the exposition store. No
 * per-scrape rendering, ETag hashing or compression of association data.
 */
export function createApp(options: AppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  // Request logs are debug-level; without debug the middleware would only cost a child logger per scrape.
  if (options.logger.isLevelEnabled("debug")) {
    app.use(
      pinoHttp({
        logger: options.logger,
        useLevel: "debug",
        serializers: {
          req: redactedRequest,
          // Response headers carry nothing secret today, but a Set-Cookie never belongs in a log.
          res: (res: { statusCode?: number; headers?: Record<string, unknown> }) => {
            const headers = { ...res.headers };
            delete headers["set-cookie"];
            return { statusCode: res.statusCode, headers };
          },
        },
      }),
    );
  }

  const routes: Record<string, (req: Request, res: Response) => Promise<void> | void> = {
    "/": (_req, res) => {
      res.status(200).type("html").send(landingPage(options.build, options.telemetryPath));
    },
    "/healthz": (_req, res) => {
      res.status(200).type("text/plain").send("ok\n");
    },
    "/readyz": (_req, res) => {
      const snapshot = options.store.snapshot();
      if (isReady(snapshot)) {
        res.status(200).type("text/plain").send("ready\n");
        return;
      }
      const waiting = snapshot ? pendingTargets(snapshot).map(describeTarget) : [];
      const detail = snapshot ? `waiting for the first poll of: ${waiting.join(", ")}` : "waiting for the first poll";
      res.status(503).type("text/plain").send(`not ready: ${detail}\n`);
    },
    [options.telemetryPath]: async (req, res) => {
      // text/plain first: a client that accepts anything (curl, a browser) gets the classic format;
      // Prometheus ranks OpenMetrics higher and gets it.
      // Offered with their version parameters: Prometheus asks for versioned types, and a versioned
      // Accept entry only matches an offer with the same parameter.
      const chosen = req.accepts(["text/plain; version=0.0.4", "application/openmetrics-text; version=1.0.0", "application/openmetrics-text; version=0.0.1"]);
      const format: Format = typeof chosen === "string" && chosen.startsWith("application/openmetrics-text") ? "openmetrics" : "text";
      const body = await options.store.body(format, req.acceptsEncodings("gzip", "identity") === "gzip" ? "gzip" : "identity");
      res.status(200);
      res.setHeader("Content-Type", body.contentType);
      res.setHeader("Content-Length", body.length);
      res.setHeader("Vary", "Accept, Accept-Encoding");
      res.setHeader("Cache-Control", "no-store");
      if (body.encoding === "gzip") res.setHeader("Content-Encoding", "gzip");
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
