/**
 * Basic auth against basic_auth_users, the way exporter-toolkit does it: bcrypt (cost ≥ 10 is ~0.1 s of CPU
 * in pure JS) runs one at a time so a burst of bad requests cannot take every core, an unknown user costs
 * the same bcrypt as a known one (no user enumeration by timing), and successful checks are remembered so
 * a scraper sending the same credentials every 15 s does not pay bcrypt on every scrape.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import bcrypt from "bcryptjs";
import pLimit from "p-limit";

/** bcrypt (cost 10) of a password nobody knows: compared when the user does not exist. */
const DUMMY_HASH = "$2b$10$jlzMYNwnoBHhtep59hY3LOXN6wR0oL2nZiTkJmwFrIEW1sNQ0B8rG";
const DEFAULT_CACHE_SIZE = 100;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface BasicAuthOptions {
  /** How many successful (user, password, hash) checks to remember (default 100). */
  cacheSize?: number;
  /** The bcrypt comparison; injected by tests to count calls. Default: bcryptjs. */
  compare?: (password: string, hash: string) => Promise<boolean>;
}

export class BasicAuth {
  private readonly cacheSize: number;
  private readonly compare: (password: string, hash: string) => Promise<boolean>;
  private readonly oneAtATime = pLimit(1);
  /** Keys of successful checks, oldest first (a Map keeps insertion order: a tiny LRU). */
  private readonly successes = new Map<string, true>();

  constructor(options: BasicAuthOptions = {}) {
    this.cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
    if (!Number.isInteger(this.cacheSize) || this.cacheSize < 0) throw new Error(`BasicAuth: cacheSize must be a whole number ≥ 0, got ${this.cacheSize}`);
    this.compare = options.compare ?? ((password, hash) => bcrypt.compare(password, hash));
  }

  /**
   * true when the Authorization header carries a user of `users` with a matching password. With no users
   * every header fails: the caller skips the check when basic auth is not configured.
   */
  async check(users: ReadonlyMap<string, string>, authorization: string | undefined): Promise<boolean> {
    const credentials = parseBasicAuthorization(authorization);
    if (credentials === undefined) return false;
    const { user, password } = credentials;
    const known = findHash(users, user);
    const hash = known ?? DUMMY_HASH;
    // The hash is part of the key: a changed password in the web config never matches an old entry.
    const key = createHash("sha256").update(JSON.stringify([user, password, hash])).digest("hex");
    if (known !== undefined && this.successes.has(key)) {
      this.successes.delete(key);
      this.successes.set(key, true);
      return true;
    }
    const matches = await this.oneAtATime(() => this.compare(password, hash).catch(() => false));
    if (!matches || known === undefined) return false;
    this.remember(key);
    return true;
  }

  private remember(key: string): void {
    if (this.cacheSize === 0) return;
    this.successes.set(key, true);
    while (this.successes.size > this.cacheSize) {
      const oldest = this.successes.keys().next().value;
      if (oldest === undefined) break;
      this.successes.delete(oldest);
    }
  }
}

/** `Basic base64(user:password)` → its parts; anything else → undefined (as Go's Request.BasicAuth). */
export function parseBasicAuthorization(authorization: string | undefined): { user: string; password: string } | undefined {
  if (authorization === undefined || authorization.length < 6 || authorization.slice(0, 6).toLowerCase() !== "basic ") return undefined;
  const encoded = authorization.slice(6);
  if (!BASE64.test(encoded)) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The hash of `user`, looking at every entry and comparing digests, so the time taken does not tell which names exist. */
function findHash(users: ReadonlyMap<string, string>, user: string): string | undefined {
  const wanted = createHash("sha256").update(user).digest();
  let found: string | undefined;
  for (const [name, hash] of users) {
    if (timingSafeEqual(createHash("sha256").update(name).digest(), wanted)) found = hash;
  }
  return found;
}
