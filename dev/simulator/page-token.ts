import { createHash } from "node:crypto";
import { SimAwsError } from "./errors.js";

/**
 * What a NextToken remembers: the list it belongs to (scope + data generation) and the position
 * after which the next page starts. Positions are insertion sequence numbers, so deleting or
 * updating associations between pages never skips or repeats the others.
 */
export interface PagePosition {
  scopeKey: string;
  epoch: number;
  afterSeq: number;
}

const VERSION = 1;

export function encodePageToken(p: PagePosition): string {
  const payload = JSON.stringify({ v: VERSION, s: p.scopeKey, e: p.epoch, a: p.afterSeq });
  return `${Buffer.from(payload).toString("base64url")}.${checksum(payload)}`;
}

/** Throws InvalidNextToken for anything not issued by encodePageToken for this list. */
export function decodePageToken(token: string, expected: { scopeKey: string; epoch: number }): number {
  const invalid = () => new SimAwsError("InvalidNextToken", 400, "The specified token isn't valid.");
  const [body, sum, ...rest] = token.split(".");
  if (body === undefined || sum === undefined || rest.length > 0) throw invalid();
  const payload = Buffer.from(body, "base64url").toString("utf8");
  if (checksum(payload) !== sum) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    throw invalid();
  }
  const p = parsed as { v?: unknown; s?: unknown; e?: unknown; a?: unknown };
  if (p.v !== VERSION || p.s !== expected.scopeKey || typeof p.a !== "number") throw invalid();
  if (p.e !== expected.epoch) {
    // The data set was replaced since the token was issued; AWS expires tokens too.
    throw new SimAwsError("InvalidNextToken", 400, "The specified token has expired.");
  }
  return p.a;
}

function checksum(payload: string): string {
  return createHash("sha256").update(payload).digest("base64url").slice(0, 12);
}
