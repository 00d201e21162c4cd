import type { RequestHandler } from "express";
import type { BasicAuth } from "../web/basic-auth.js";
import type { WebConfig } from "../web/web-config.js";

export interface WebSecurityOptions {
  /** The web config in use, read per request so that a reload applies to the next one. */
  readonly config: () => WebConfig;
  readonly basicAuth: BasicAuth;
}

/**
 * What exporter-toolkit's handler does before every route: the configured headers (on every answer,
 * 401 and 429 included), the rate limit, then basic auth. The answers carry no detail beyond the
 * status, like the toolkit's http.Error(w, http.StatusText(code), code).
 */
export function webSecurity(options: WebSecurityOptions): RequestHandler {
  let limiter: { readonly limit: NonNullable<WebConfig["rateLimit"]>; readonly bucket: TokenBucket } | undefined;
  return async (req, res, next) => {
    const config = options.config();
    for (const [name, value] of Object.entries(config.headers)) res.setHeader(name, value);
    if (config.rateLimit) {
      const { intervalMs, burst } = config.rateLimit;
      if (limiter?.limit.intervalMs !== intervalMs || limiter.limit.burst !== burst) limiter = { limit: config.rateLimit, bucket: new TokenBucket(intervalMs, burst) };
      if (!limiter.bucket.take()) {
        res.status(429).type("text/plain").send("Too Many Requests\n");
        return;
      }
    }
    if (config.users.size > 0 && !(await options.basicAuth.check(config.users, req.headers.authorization))) {
      res.setHeader("WWW-Authenticate", "Basic");
      res.status(401).type("text/plain").send("Unauthorized\n");
      return;
    }
    next();
  };
}

/** golang.org/x/time/rate's Limiter(Every(interval), burst).Allow(): one token per interval, at most burst, starting full. */
export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    private readonly intervalMs: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.updatedMs = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (this.intervalMs > 0 ? (now - this.updatedMs) / this.intervalMs : Infinity));
    this.updatedMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
