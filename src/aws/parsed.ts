import type { z } from "zod";

/** A validated AWS answer, or its first problem: the field (e.g. `TagList.3.Key`) and a one-line message. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly field: string; readonly message: string };

/** The first issue of a failed validation of `operation`'s answer, with how many more there were. */
export function firstProblem(operation: string, error: z.ZodError): Parsed<never> {
  const issue = error.issues[0];
  const field = (issue?.path ?? []).map(String).join(".") || "(body)";
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : "";
  return { ok: false, field, message: `invalid ${operation} response: ${field} ${issue?.message ?? "is invalid"}${more}` };
}
