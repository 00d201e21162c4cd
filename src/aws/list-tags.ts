import { z } from "zod";
import type { AssociationTags } from "../domain/association.js";
import { firstProblem, type Parsed } from "./parsed.js";

/**
 * The boundary for ListTagsForResource (botocore ssm/2014-11-06 `ListTagsForResourceResult`, `Tag`):
 * TagList is always present in a real answer (an untagged association's is `[]`), and both Key and
 * Value are required strings. A wrong type anywhere fails the whole answer, allow-listed or not.
 */
const answer = z.object({
  TagList: z.array(z.object({ Key: z.string().min(1, { message: "must be a non-empty string" }), Value: z.string() })),
});

/** Validates one answer and keeps only the tags whose key is allow-listed (--ssm.tag). */
export function parseTags(output: unknown, allowed: ReadonlySet<string>): Parsed<AssociationTags> {
  const result = answer.safeParse(output);
  if (!result.success) return firstProblem("ListTagsForResource", result.error);
  const tags = new Map<string, string>();
  for (const { Key, Value } of result.data.TagList) if (allowed.has(Key)) tags.set(Key, Value);
  return { ok: true, value: tags };
}
