/**
 * A WebTlsConfig as Node TLS options, and the checks Go's crypto/tls makes in the handshake that OpenSSL's
 * two switches (requestCert, rejectUnauthorized) cannot express: "a certificate is required but not
 * verified" (RequireAnyClientCert), "verified if given" (VerifyClientCertIfGiven) and client_allowed_sans.
 * The server calls clientCertProblem on every new TLS connection and closes it when a reason comes back.
 */
import type { SecureContextOptions, TLSSocket } from "node:tls";
import type { WebTlsConfig } from "./web-config.js";

/** Options for tls.createSecureContext / https.createServer from a WebTlsConfig. */
export function secureContextOptions(tls: WebTlsConfig): SecureContextOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    // Without `ca`, OpenSSL would verify client certificates against the public roots: never wanted here.
    ...(tls.clientCa !== undefined && { ca: tls.clientCa }),
    minVersion: tls.minVersion,
    ...(tls.maxVersion !== undefined && { maxVersion: tls.maxVersion }),
    // Only TLS 1.2 names: Node keeps its default TLS 1.3 suites, as Go does.
    ...(tls.ciphers !== undefined && { ciphers: tls.ciphers }),
    ...(tls.ecdhCurve !== undefined && { ecdhCurve: tls.ecdhCurve }),
    honorCipherOrder: tls.preferServerCipherSuites,
  };
}

/** Server-level options: requestCert / rejectUnauthorized per client auth type. */
export function clientCertServerOptions(tls: WebTlsConfig): { requestCert: boolean; rejectUnauthorized: boolean } {
  switch (tls.clientAuth) {
    case "NoClientCert":
      return { requestCert: false, rejectUnauthorized: false };
    case "RequestClientCert":
    case "RequireAnyClientCert":
    case "VerifyClientCertIfGiven":
      // OpenSSL cannot "require but not verify" nor "verify only if given": the handshake lets every
      // client through and clientCertProblem decides right after it.
      return { requestCert: true, rejectUnauthorized: false };
    case "RequireAndVerifyClientCert":
      return { requestCert: true, rejectUnauthorized: true };
  }
}

/**
 * After the handshake: undefined if the client may go on, else a one-line reason (no cert under
 * RequireAnyClientCert; an unverified cert under VerifyClientCertIfGiven; a SAN not in client_allowed_sans).
 */
export function clientCertProblem(tls: WebTlsConfig, socket: TLSSocket): string | undefined {
  if (tls.clientAuth === "NoClientCert" || tls.clientAuth === "RequestClientCert") return undefined;
  const cert = socket.getPeerX509Certificate();
  const verify = tls.clientAuth === "VerifyClientCertIfGiven" || tls.clientAuth === "RequireAndVerifyClientCert";
  if (cert === undefined) {
    return tls.clientAuth === "VerifyClientCertIfGiven" ? undefined : `client certificate required (client_auth_type ${tls.clientAuth})`;
  }
  if (verify && !socket.authorized) {
    return `client certificate not verified by the client CA (${String(socket.authorizationError ?? "unknown reason")})`;
  }
  if (tls.clientAllowedSans.length > 0) {
    const sans = subjectAltNames(cert.subjectAltName);
    const allowed = new Set(tls.clientAllowedSans.map(canonicalSan));
    if (!sans.some((san) => allowed.has(canonicalSan(san)))) {
      return `client certificate SANs [${sans.join(", ")}] include none of client_allowed_sans [${tls.clientAllowedSans.join(", ")}]`;
    }
  }
  return undefined;
}

const SAN_TYPES = new Set(["DNS", "IP Address", "email", "URI"]);
// Node prints "DNS:a, IP Address:127.0.0.1, URI:..."; a value with a comma or quote comes JSON-quoted.
const SAN_ENTRY = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;

/** The DNS, IP, e-mail and URI values of a certificate's subjectAltName, the SAN kinds Go compares. */
export function subjectAltNames(subjectAltName: string | undefined): string[] {
  const values: string[] = [];
  for (const [, type, value] of (subjectAltName ?? "").matchAll(SAN_ENTRY)) {
    if (type === undefined || value === undefined || !SAN_TYPES.has(type)) continue;
    values.push(value.startsWith('"') ? (JSON.parse(value) as string) : value);
  }
  return values;
}

/** IPv6 addresses in one spelling (Go compares net.IP.String(), the compressed lower-case form). */
function canonicalSan(value: string): string {
  if (!value.includes(":") || value.includes("/") || value.includes("@")) return value;
  try {
    return new URL(`http://[${value}]/`).hostname;
  } catch {
    return value;
  }
}
