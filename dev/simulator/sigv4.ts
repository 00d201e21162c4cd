/** The parts of a SigV4 credential scope the simulator cares about. No signature checking. */
export interface SigV4Credential {
  accessKeyId: string;
  /** yyyymmdd */
  date: string;
  region: string;
  service: string;
}

export type SigV4Parse = { ok: true; credential: SigV4Credential } | { ok: false; reason: "missing" | "malformed" };

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/** Reads `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ssm/aws4_request, ...`. */
export function parseSigV4Authorization(header: string | string[] | undefined): SigV4Parse {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === "") return { ok: false, reason: "missing" };
  if (!value.startsWith("AWS4-HMAC-SHA256 ")) return { ok: false, reason: "malformed" };
  const m = CREDENTIAL.exec(value);
  if (m === null) return { ok: false, reason: "malformed" };
  const [, accessKeyId, date, region, service] = m as unknown as [string, string, string, string, string];
  return { ok: true, credential: { accessKeyId, date, region, service } };
}

/** The `X-Amz-Security-Token` header that temporary credentials are signed with, if any. */
export function sessionTokenOf(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const value = headers["x-amz-security-token"];
  return Array.isArray(value) ? value[0] : value;
}
