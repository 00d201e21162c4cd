import { once } from "node:events";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import express, { type Request, type Response } from "express";
import { pinoHttp } from "pino-http";
import type { Logger } from "../log.js";
import { describeTarget, pendingTargets } from "../domain/snapshot.js";
import type { ExpositionStore, Format } from "../exposition/store.js";
import type { BuildInfo } from "../version.js";
import { clientCertProblem, clientCertServerOptions, secureContextOptions } from "../web/tls-options.js";
import type { WebTlsConfig } from "../web/web-config.js";
import { landingPage } from "./landing-page.js";
import { webSecurity, type WebSecurityOptions } from "./web-security.js";

export interface AppOptions {
  readonly telemetryPath: string;
  readonly store: ExpositionStore;
  readonly build: BuildInfo;
  readonly logger: Logger;
  /** --web.config.file's headers, rate limit and basic auth, in front of every path. */
  readonly security?: WebSecurityOptions;
}

export interface ProbeAppOptions {
  readonly store: ExpositionStore;
  readonly logger: Logger;
}

type Routes = Record<string, (req: Request, res: Response) => Promise<void> | void>;

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

/** An express app without fingerprinting headers, logging requests at debug level. */
function baseApp(logger: Logger): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  // Request logs are debug-level; without debug the middleware would only cost a child logger per scrape.
  if (logger.isLevelEnabled("debug")) {
    app.use(
      pinoHttp({
        logger,
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
  return app;
}

/** /healthz (the process is alive) and /readyz (every target's first poll has finished). */
function probeRoutes(store: ExpositionStore): Routes {
  return {
    "/healthz": (_req, res) => {
      res.status(200).type("text/plain").send("ok\n");
    },
    "/readyz": (_req, res) => {
      const snapshot = store.snapshot();
      if (store.ready()) {
        res.status(200).type("text/plain").send("ready\n");
        return;
      }
      const waiting = snapshot ? pendingTargets(snapshot).map(describeTarget) : [];
      const detail = snapshot ? `waiting for the first poll of: ${waiting.join(", ")}` : "waiting for the first poll";
      res.status(503).type("text/plain").send(`not ready: ${detail}\n`);
    },
  };
}

/** Exactly these routes: other paths 404, other methods than GET and HEAD 405. */
function serve(app: express.Express, routes: Routes): void {
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
}

/**
 * The probe listener (--web.probe-listen-address): /healthz and /readyz only, never metrics, over plain
 * HTTP and without authentication, so Kubernetes probes work while the main listener is protected.
 */
export function createProbeApp(options: ProbeAppOptions): express.Express {
  const app = baseApp(options.logger);
  serve(app, probeRoutes(options.store));
  return app;
}

/**
 * Routes, content negotiation and writing: the bytes themselves come from the exposition store. No
 * per-scrape rendering, ETag hashing or compression of association data. With a web config, every
 * path (the landing page and the probes too) is behind its basic auth, as with exporter-toolkit.
 */
export function createApp(options: AppOptions): express.Express {
  const app = baseApp(options.logger);
  if (options.security) app.use(webSecurity(options.security));

  const routes: Routes = {
    "/": (_req, res) => {
      res.status(200).type("html").send(landingPage(options.build, options.telemetryPath));
    },
    ...probeRoutes(options.store),
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

  serve(app, routes);
  return app;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** http://… or https://… */
  readonly url: string;
  /** HTTPS only: connections from now on use these certificates and client certificate rules. */
  updateTls(tls: WebTlsConfig): void;
  /** Stops accepting, lets in-flight requests finish, closes idle keep-alive connections. */
  close(): Promise<void>;
}

/** A listener that could not be opened: main.ts reports the address and the reason. */
export class ListenError extends Error {
  constructor(
    readonly address: string,
    readonly code: string,
  ) {
    super(`cannot listen on ${address}: ${code}`);
    this.name = "ListenError";
  }
}

export interface ListenOptions {
  /** Serve HTTPS with these settings (from the web config); plain HTTP without. */
  readonly tls?: WebTlsConfig;
  /** Handshake failures and refused client certificates are logged here at debug level. */
  readonly logger?: Logger;
}

/** The per-connection choices Node's tls.Server reads from itself when a connection arrives. */
interface ClientCertSettings {
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

export async function listen(app: express.Express, host: string | undefined, port: number, options: ListenOptions = {}): Promise<RunningServer> {
  const { logger } = options;
  let tls = options.tls;
  let server: Server;
  let secure: HttpsServer | undefined;
  if (tls) {
    const https = createHttpsServer({ ...secureContextOptions(tls), ...clientCertServerOptions(tls) }, app);
    // After the handshake: what OpenSSL's verification does not cover (a certificate required but not
    // verified, the allowed SANs). The request on such a connection is never read.
    https.on("secureConnection", (socket: TLSSocket) => {
      const problem = tls ? clientCertProblem(tls, socket) : undefined;
      if (problem === undefined) return;
      logger?.debug({ remote_address: socket.remoteAddress, problem }, "TLS client refused");
      socket.destroy();
    });
    https.on("tlsClientError", (err: Error, socket: Socket) => {
      logger?.debug({ remote_address: socket.remoteAddress, error: err.message }, "TLS handshake failed");
      socket.destroy();
    });
    server = secure = https;
  } else {
    server = createHttpServer(app);
  }
  server.listen(port, host);
  try {
    await Promise.race([
      once(server, "listening"),
      once(server, "error").then(([err]) => {
        throw err;
      }),
    ]);
  } catch (err) {
    throw new ListenError(`${host === undefined ? "" : host.includes(":") ? `[${host}]` : host}:${port}`, (err as NodeJS.ErrnoException).code ?? String(err));
  }
  const address = server.address() as AddressInfo;
  const urlHost = host === undefined || host === "::" || host === "0.0.0.0" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  return {
    host: address.address,
    port: address.port,
    url: `${tls ? "https" : "http"}://${urlHost}:${address.port}`,
    updateTls: (next) => {
      if (!secure) throw new Error("updateTls on a plain HTTP listener");
      secure.setSecureContext(secureContextOptions(next));
      Object.assign(secure as unknown as ClientCertSettings, clientCertServerOptions(next));
      tls = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
