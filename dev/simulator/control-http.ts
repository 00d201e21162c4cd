import type { z } from "zod";
import type { SimResponse } from "./types.js";

/** Shared by the control route modules: errors, body parsing and answers. */

/** A control request that fails with this HTTP status and `{ "error": message }`. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function parse<T>(schema: z.ZodType<T>, body: string): T {
  let value: unknown;
  try {
    value = JSON.parse(body === "" ? "null" : body);
  } catch {
    throw new ControlError(400, "request body is not valid JSON");
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const detail = result.error.issues
      .map((i) => `${i.path.length > 0 ? i.path.join(".") : "body"}: ${i.message}`)
      .join("; ");
    throw new ControlError(400, `invalid request body: ${detail}`);
  }
  return result.data;
}

export function only(method: string, allowed: string, handle: () => SimResponse): SimResponse {
  return method === allowed ? handle() : notAllowed(method, [allowed]);
}

export function notAllowed(method: string, allowed: string[]): SimResponse {
  const res = json(405, { error: `method ${method} not allowed; use ${allowed.join(" or ")}` });
  res.headers.allow = allowed.join(", ");
  return res;
}

export function json(status: number, value: unknown): SimResponse {
  return { status, headers: { "content-type": "application/json" }, body: JSON.stringify(value) };
}
