/**
 * The exporter-toolkit web config file (`--web.config.file`): TLS, mutual TLS, basic auth, response headers,
 * rate limit. One file works unchanged for node_exporter and for us, so keys, defaults and Go names follow
 * prometheus/exporter-toolkit docs/web-configuration.md. Everything is checked here, once: every file is read,
 * every certificate and key parsed and matched, so a bad file fails at load (exit 2, or a rejected reload),
 * never at the first handshake. Error lines name the key and never echo a secret (keys, hashes).
 */
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { createSecureContext } from "node:tls";
import { parseDocument } from "yaml";
import { z } from "zod";
import { GO_CIPHER_SUITES, GO_CURVES, GO_INSECURE_CIPHER_SUITES, GO_TLS13_CIPHER_SUITES, GO_TLS_VERSIONS, TLS_VERSION_ORDER, type TlsVersion } from "./go-tls-names.js";
import { secureContextOptions } from "./tls-options.js";

/** Every problem found in the file, one line each, each naming the key. */
export class WebConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "WebConfigError";
  }
}

export const CLIENT_AUTH_TYPES = ["NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

export interface WebTlsConfig {
  /** PEM text: the server certificate (chain), from cert_file or cert. */
  readonly cert: string;
  /** PEM text: the server's private key, from key_file or key. */
  readonly key: string;
  /** PEM text: the CAs client certificates are verified against, from client_ca_file or client_ca. */
  readonly clientCa: string | undefined;
  readonly clientAuth: ClientAuthType;
  /** Client certificates must carry one of these SANs (DNS, IP, e-mail or URI, exact match); [] = any. */
  readonly clientAllowedSans: readonly string[];
  readonly minVersion: TlsVersion;
  /** undefined = the highest Node supports (TLS 1.3), like the toolkit's default. */
  readonly maxVersion: TlsVersion | undefined;
  /** OpenSSL cipher list for TLS 1.0–1.2, from cipher_suites; undefined = Node's defaults. */
  readonly ciphers: string | undefined;
  /** OpenSSL group list from curve_preferences, e.g. "X25519:P-256"; undefined = Node's defaults. */
  readonly ecdhCurve: string | undefined;
  /** prefer_server_cipher_suites (toolkit default true): the server's order of cipher_suites wins. */
  readonly preferServerCipherSuites: boolean;
}

export interface WebConfig {
  /** undefined = plain HTTP. */
  readonly tls: WebTlsConfig | undefined;
  /** basic_auth_users: user → bcrypt hash. Empty = no basic auth. */
  readonly users: ReadonlyMap<string, string>;
  /** http_server_config.headers to set on every response (blank values left out, as the toolkit documents). */
  readonly headers: Readonly<Record<string, string>>;
  /** http_server_config.http2 (default true). Accepted for compatibility; this exporter serves HTTP/1.1 only. */
  readonly http2: boolean;
  /** rate_limit: a token bucket of `burst` tokens, one more every intervalMs; undefined = no limit. */
  readonly rateLimit: { readonly intervalMs: number; readonly burst: number } | undefined;
}

/** The toolkit's header allow-list: a list means only these values (exact, case-sensitive), undefined = any. */
const ALLOWED_HEADERS: Readonly<Record<string, readonly string[] | undefined>> = {
  "Strict-Transport-Security": undefined,
  "X-Content-Type-Options": ["nosniff"],
  "X-Frame-Options": ["deny", "sameorigin"],
  "X-XSS-Protection": undefined,
  "Content-Security-Policy": undefined,
};

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const GO_DURATION = /^(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const GO_DURATION_PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;
const GO_DURATION_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const oneOf = (names: readonly string[]) => names.join(", ");

/** A YAML scalar read as text, like Go's yaml.v2 does for string fields (`X-XSS-Protection: 0` is "0"); "" = unset. */
const text = z
  .union([z.string(), z.number(), z.boolean()], { message: "must be a string" })
  .nullish()
  .transform((v) => (v === null || v === undefined || v === "" ? undefined : String(v)));

const flag = z.boolean({ message: "must be true or false" }).nullish();

/** A list of names; an empty list is the same as no list. */
const nameList = (check: (name: string) => string | undefined) =>
  z
    .array(
      z.string({ message: "must be a string" }).superRefine((name, ctx) => {
        const problem = check(name);
        if (problem !== undefined) ctx.addIssue({ code: "custom", message: `"${name}" ${problem}` });
      }),
      { message: "must be a list" },
    )
    .nullish()
    .transform((list) => (list === null || list === undefined || list.length === 0 ? undefined : list));

const choice = (names: readonly string[], aliases: readonly string[] = []) =>
  text.superRefine((value, ctx) => {
    if (value !== undefined && !names.includes(value) && !aliases.includes(value)) {
      ctx.addIssue({ code: "custom", message: `"${value}" is not one of ${oneOf(names)}` });
    }
  });

function cipherProblem(name: string): string | undefined {
  if (GO_CIPHER_SUITES[name] !== undefined) return undefined;
  // Go accepts TLS 1.3 names in cipher_suites and ignores them (TLS 1.3 suites are not configurable there):
  // so do we, so that a file written for node_exporter works unchanged.
  if (GO_TLS13_CIPHER_SUITES.includes(name)) return undefined;
  if (GO_INSECURE_CIPHER_SUITES.includes(name)) return "is one of Go's insecure cipher suites, which the web config does not accept";
  return `is not one of ${oneOf(Object.keys(GO_CIPHER_SUITES))}`;
}

/** The OpenSSL cipher list of the TLS 1.0–1.2 suites named, in order; undefined when none is (Node's defaults). */
function openSslCipherList(names: readonly string[] | undefined): string | undefined {
  const ciphers = (names ?? []).flatMap((name) => GO_CIPHER_SUITES[name] ?? []);
  return ciphers.length === 0 ? undefined : ciphers.join(":");
}

const tlsSchema = z.strictObject(
  {
    cert: text,
    key: text,
    client_ca: text,
    cert_file: text,
    key_file: text,
    client_ca_file: text,
    // "RequireClientCert" is the toolkit's old spelling of RequireAnyClientCert, still accepted there.
    client_auth_type: choice(CLIENT_AUTH_TYPES, ["RequireClientCert"]),
    client_allowed_sans: nameList(() => undefined),
    min_version: choice(Object.keys(GO_TLS_VERSIONS)),
    max_version: choice(Object.keys(GO_TLS_VERSIONS)),
    cipher_suites: nameList(cipherProblem),
    prefer_server_cipher_suites: flag,
    curve_preferences: nameList((name) => (GO_CURVES[name] === undefined ? `is not one of ${oneOf(Object.keys(GO_CURVES))}` : undefined)),
  },
  { message: "must be a mapping" },
);

const headersSchema = z
  .record(z.string(), text, { message: "must be a mapping of header names to values" })
  .nullish()
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers ?? {})) {
      if (!Object.hasOwn(ALLOWED_HEADERS, name)) {
        ctx.addIssue({ code: "custom", path: [name], message: `cannot be configured: the headers allowed are ${oneOf(Object.keys(ALLOWED_HEADERS))}` });
        continue;
      }
      if (value === undefined) continue;
      const allowed = ALLOWED_HEADERS[name];
      if (allowed !== undefined && !allowed.includes(value)) {
        ctx.addIssue({ code: "custom", path: [name], message: `"${value}" is not one of ${oneOf(allowed)}` });
      } else if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
        ctx.addIssue({ code: "custom", path: [name], message: "contains a character an HTTP header value cannot hold" });
      }
    }
  });

const httpSchema = z.strictObject({ http2: flag, headers: headersSchema }, { message: "must be a mapping" });

const bcryptHash = z.string({ message: "must be a bcrypt hash (a string)" }).superRefine((hash, ctx) => {
  const cost = BCRYPT.exec(hash)?.[1];
  if (cost === undefined) {
    ctx.addIssue({ code: "custom", message: "is not a bcrypt hash ($2y$, $2b$ or $2a$, 60 characters, as `htpasswd -nBC 10 USER` writes)" });
  } else if (Number(cost) < 4 || Number(cost) > 31) {
    ctx.addIssue({ code: "custom", message: `has bcrypt cost ${cost}, outside 4–31` });
  }
});

const userName = z.string().superRefine((user, ctx) => {
  if (user.includes(":")) ctx.addIssue({ code: "custom", message: `contains ":", which basic auth cannot send in a user name` });
});

const usersSchema = z.record(userName, bcryptHash, { message: "must be a mapping of user names to bcrypt hashes" }).nullish();

/** Go's time.ParseDuration syntax ("1s", "100ms", "1m30s", "1.5h"), in milliseconds; 0 (the number) too. */
function goDurationMs(value: string | number): number | undefined {
  if (value === 0 || value === "0") return 0;
  if (typeof value !== "string" || !GO_DURATION.test(value)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of value.matchAll(GO_DURATION_PART)) ms += Number(amount) * (GO_DURATION_MS[unit ?? ""] ?? 0);
  return ms;
}

const rateLimitSchema = z.strictObject(
  {
    interval: z
      .union([z.string(), z.number()], { message: 'must be a duration such as "1s" or "100ms"' })
      .nullish()
      .transform((value, ctx) => {
        if (value === null || value === undefined) return undefined;
        const ms = goDurationMs(value);
        if (ms === undefined) ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not a duration such as "1s" or "100ms" (0 turns the limit off)` });
        return ms;
      }),
    burst: z.number({ message: "must be a whole number" }).int({ message: "must be a whole number" }).nullish(),
  },
  { message: "must be a mapping with interval and burst" },
);

const fileSchema = z
  .strictObject(
    {
      tls_server_config: tlsSchema.nullish(),
      http_server_config: httpSchema.nullish(),
      basic_auth_users: usersSchema,
      rate_limit: rateLimitSchema.nullish(),
    },
    { message: "must be a mapping of tls_server_config, http_server_config, basic_auth_users, rate_limit" },
  )
  .nullish();

type RawTls = z.output<typeof tlsSchema>;
type RawRateLimit = z.output<typeof rateLimitSchema>;

/** `["tls_server_config", "cipher_suites", 2]` → `tls_server_config.cipher_suites[2]`. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  if (issue.code === "invalid_key") return issue.issues[0]?.message ?? issue.message;
  return issue.message;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Collects problems while the TLS section is turned into a WebTlsConfig. */
class TlsReader {
  readonly problems: string[] = [];

  constructor(
    private readonly baseDir: string,
    private readonly readFile: (path: string) => string,
  ) {}

  problem(key: string, message: string): void {
    this.problems.push(`web config: tls_server_config${key === "" ? "" : `.${key}`}: ${message}`);
  }

  /** PEM text from `<name>_file` or inline `<name>`: exactly one of them (or neither when optional). */
  pem(raw: RawTls, fileKey: "cert_file" | "key_file" | "client_ca_file", inlineKey: "cert" | "key" | "client_ca", what: string, required: boolean): { text: string; from: string } | undefined {
    const path = raw[fileKey];
    const inline = raw[inlineKey];
    if (path !== undefined && inline !== undefined) {
      this.problem("", `${fileKey} and ${inlineKey} are both set: give the ${what} one way`);
      return undefined;
    }
    if (inline !== undefined) return { text: inline, from: inlineKey };
    if (path === undefined) {
      if (required) this.problem("", `${fileKey} (or ${inlineKey}) is missing: TLS needs the ${what}`);
      return undefined;
    }
    const absolute = isAbsolute(path) ? path : resolve(this.baseDir, path);
    try {
      return { text: this.readFile(absolute), from: fileKey };
    } catch (err) {
      this.problem(fileKey, `cannot read "${absolute}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      return undefined;
    }
  }

  certificates(pem: { text: string; from: string }, what: string): X509Certificate[] | undefined {
    const blocks = pem.text.match(PEM_CERTIFICATE) ?? [];
    if (blocks.length === 0) {
      this.problem(pem.from, `holds no PEM certificate (-----BEGIN CERTIFICATE-----) for the ${what}`);
      return undefined;
    }
    try {
      return blocks.map((block) => new X509Certificate(block));
    } catch (err) {
      this.problem(pem.from, `holds a certificate that does not parse (${firstLine(err)})`);
      return undefined;
    }
  }

  privateKey(pem: { text: string; from: string }): KeyObject | undefined {
    try {
      return createPrivateKey(pem.text);
    } catch (err) {
      this.problem(pem.from, `holds no usable unencrypted PEM private key (${firstLine(err)})`);
      return undefined;
    }
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}

/** TLS is on as soon as any TLS key has a value, so a half-written section is an error, not plain HTTP. */
function tlsRequested(raw: RawTls | null | undefined): raw is RawTls {
  return raw !== null && raw !== undefined && Object.values(raw).some((v) => v !== undefined && v !== null);
}

function readTls(raw: RawTls, reader: TlsReader): WebTlsConfig | undefined {
  const before = reader.problems.length;
  const clientAuth: ClientAuthType = raw.client_auth_type === "RequireClientCert" ? "RequireAnyClientCert" : ((raw.client_auth_type as ClientAuthType | undefined) ?? "NoClientCert");
  const minVersion = GO_TLS_VERSIONS[raw.min_version ?? "TLS12"] ?? "TLSv1.2";
  const maxVersion = raw.max_version === undefined ? undefined : GO_TLS_VERSIONS[raw.max_version];
  if (maxVersion !== undefined && TLS_VERSION_ORDER.indexOf(maxVersion) < TLS_VERSION_ORDER.indexOf(minVersion)) {
    reader.problem("max_version", `${raw.max_version} is below min_version ${raw.min_version ?? "TLS12 (the default)"}`);
  }

  const certPem = reader.pem(raw, "cert_file", "cert", "server certificate", true);
  const keyPem = reader.pem(raw, "key_file", "key", "server's private key", true);
  const caPem = reader.pem(raw, "client_ca_file", "client_ca", "client CA", false);
  const certs = certPem === undefined ? undefined : reader.certificates(certPem, "server");
  const key = keyPem === undefined ? undefined : reader.privateKey(keyPem);
  if (certs?.[0] !== undefined && key !== undefined && keyPem !== undefined && certPem !== undefined && !certs[0].checkPrivateKey(key)) {
    reader.problem(keyPem.from, `does not match the certificate of ${certPem.from}`);
  }
  if (caPem !== undefined) reader.certificates(caPem, "client CA");

  const verifies = clientAuth === "VerifyClientCertIfGiven" || clientAuth === "RequireAndVerifyClientCert";
  if (verifies && caPem === undefined && raw.client_ca_file === undefined && raw.client_ca === undefined) {
    reader.problem("", `client_ca_file (or client_ca) is missing: client_auth_type ${clientAuth} verifies client certificates against it`);
  }
  if (clientAuth === "NoClientCert" && (raw.client_ca_file !== undefined || raw.client_ca !== undefined)) {
    reader.problem(raw.client_ca_file !== undefined ? "client_ca_file" : "client_ca", "is set but client_auth_type is NoClientCert: set client_auth_type (RequireAndVerifyClientCert to verify clients)");
  }
  const sans = raw.client_allowed_sans ?? [];
  if (sans.length > 0 && clientAuth !== "RequireAnyClientCert" && clientAuth !== "RequireAndVerifyClientCert") {
    reader.problem("client_allowed_sans", `needs client_auth_type RequireAndVerifyClientCert (or RequireAnyClientCert), not ${clientAuth}: otherwise a client may send no certificate at all`);
  }
  if (reader.problems.length > before || certPem === undefined || keyPem === undefined) return undefined;

  const tls: WebTlsConfig = {
    cert: certPem.text,
    key: keyPem.text,
    clientCa: caPem?.text,
    clientAuth,
    clientAllowedSans: sans,
    minVersion,
    maxVersion,
    ciphers: openSslCipherList(raw.cipher_suites),
    ecdhCurve: raw.curve_preferences?.map((name) => GO_CURVES[name]).join(":"),
    preferServerCipherSuites: raw.prefer_server_cipher_suites ?? true,
  };
  // The last word belongs to OpenSSL: whatever Node would refuse at listen time is refused now.
  try {
    createSecureContext(secureContextOptions(tls));
  } catch (err) {
    reader.problem("", `Node's TLS refuses this configuration (${firstLine(err)})`);
    return undefined;
  }
  return tls;
}

function readRateLimit(raw: RawRateLimit | null | undefined, problems: string[]): WebConfig["rateLimit"] {
  if (raw === null || raw === undefined) return undefined;
  const { interval, burst } = raw;
  if (interval === undefined) {
    if (burst !== undefined && burst !== null) problems.push("web config: rate_limit.interval: is missing: burst alone limits nothing (interval 0 turns the limit off)");
    return undefined;
  }
  if (interval === 0) return undefined;
  if (burst === undefined || burst === null || burst < 1) {
    problems.push("web config: rate_limit.burst: must be at least 1 when interval is set (0 would refuse every request)");
    return undefined;
  }
  return { intervalMs: interval, burst };
}

/**
 * Parses the YAML text; file paths are relative to baseDir; reads referenced files with readFile (injected
 * for tests; always given an absolute path, so a reload watcher can record what was read). Throws WebConfigError.
 */
export function parseWebConfig(text: string, baseDir: string, readFile: (path: string) => string): WebConfig {
  // YAML 1.2, not the 1.1 of Go's yaml.v2: a user called `no` stays "no" (1.1 would make it false), and
  // `http2: off` is refused clearly rather than guessed.
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new WebConfigError(
      document.errors.map((e) => {
        const at = e.linePos?.[0];
        const message = (e.message.split("\n")[0] ?? "invalid YAML").replace(/ at line \d+, column \d+:?$/, "");
        return `web config: ${at ? `line ${at.line}, column ${at.col}: ` : ""}${message}`;
      }),
    );
  }
  const result = fileSchema.safeParse(document.toJS());
  if (!result.success) {
    throw new WebConfigError(result.error.issues.map((issue) => `web config: ${[formatPath(issue.path), issueMessage(issue)].filter((p) => p !== "").join(": ")}`));
  }
  const raw = result.data ?? {};
  const problems: string[] = [];
  const reader = new TlsReader(baseDir, readFile);
  const tls = tlsRequested(raw.tls_server_config) ? readTls(raw.tls_server_config, reader) : undefined;
  problems.push(...reader.problems);
  const rateLimit = readRateLimit(raw.rate_limit, problems);
  if (problems.length > 0) throw new WebConfigError(problems);

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw.http_server_config?.headers ?? {})) if (value !== undefined) headers[name] = value;
  return {
    tls,
    users: new Map(Object.entries(raw.basic_auth_users ?? {})),
    headers,
    http2: raw.http_server_config?.http2 ?? true,
    rateLimit,
  };
}

/** Reads the file at path and parses it. Throws WebConfigError (unreadable file included). */
export function loadWebConfig(path: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new WebConfigError([`web config: cannot read "${path}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  return parseWebConfig(text, dirname(resolve(path)), (file) => readFileSync(file, "utf8"));
}
