/** An allow-listed tag key (--ssm.tag) and the label it becomes on aws_ssm_association_info. */
export interface TagLabel {
  readonly key: string;
  readonly label: string;
}

/** What a tag key may hold (botocore ssm/2014-11-06 `TagKey`): 1 to 128 letters, spaces, digits and `_.:/=+-@`. */
export const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;

/** `tag_` and the key with every character outside [A-Za-z0-9_] replaced by `_` (`cost-center` → `tag_cost_center`). */
export function sanitizedTagLabel(key: string): string {
  return `tag_${key.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

/**
 * The label of each allow-listed key, ordered by label. Keys that sanitise to the same label (`cost-center`
 * and `cost.center`) all get `_conflict1`, `_conflict2`, ... in the code-point order of the keys, as
 * kube-state-metrics does for Kubernetes labels; so adding or removing a key renames only its own group.
 * A generated name that is itself taken moves on to the next number. Duplicate keys count once.
 */
export function tagLabels(keys: readonly string[]): TagLabel[] {
  const unique = [...new Set(keys)].sort(codePointOrder);
  const groups = new Map<string, string[]>();
  for (const key of unique) {
    const label = sanitizedTagLabel(key);
    groups.set(label, [...(groups.get(label) ?? []), key]);
  }
  const taken = new Set([...groups].filter(([, members]) => members.length === 1).map(([label]) => label));
  const out: TagLabel[] = [];
  for (const [label, members] of groups) {
    if (members.length === 1) {
      out.push({ key: members[0] as string, label });
      continue;
    }
    let n = 0;
    for (const key of members) {
      let candidate: string;
      do candidate = `${label}_conflict${++n}`;
      while (taken.has(candidate));
      taken.add(candidate);
      out.push({ key, label: candidate });
    }
  }
  return out.sort((a, b) => codePointOrder(a.label, b.label));
}

function codePointOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
