/**
 * The soak's data: a seeded fleet in the simulator and a churn step at the start of a poll. Creates, deletes,
 * renames to hostile names, status flips and target-count changes, with the association count kept
 * near its target.
 *
 * The shape of the data stays the same over the run, so the exporter's heap after poll 10 and after
 * the last poll can be compared: hostile names, undocumented statuses and unusual target-count maps
 * each live in a pool of fixed size (filled at seeding, before the first poll). A churn step moves a
 * few associations out of each pool and as many in. Creates and deletes are random and balanced
 * around the target count.
 */
import type { Simulator } from "../dev/simulator/simulator.js";
import { mulberry32 } from "../dev/simulator/rng.js";
import { generateAssociations } from "../dev/simulator/seed.js";
import type { SimScope, WireAssociation } from "../dev/simulator/types.js";
import { SENTINEL_ID } from "./exposition-check.js";

/** AssociationNames no real AWS account has (AWS allows [a-zA-Z0-9_.-]{3,128}), for the exposition's escaping. */
export const HOSTILE_NAMES: readonly string[] = [
  'say "hello"',
  "back\\slash",
  "trailing backslash\\",
  "\\\\double\\\\ and \\n literal",
  "two\nlines",
  "crlf\r\nline",
  'x"} 1\nfake_metric{a="b',
  "x} 1\n# EOF\n",
  "{curly}",
  "a=b,c=d",
  "=,{}\"\\\n,=",
  "tab\tseparated",
  "  padded  ",
  "# HELP not a comment",
  "Ünïcödé naïve café – 日本語 – עברית – Ελληνικά",
  "emoji 🚀🔥👩‍💻🏳️‍🌈 family 👨‍👩‍👧‍👦",
  "combining e\u0301 and zero\u200bwidth",
  "line\u2028separator\u2029paragraph\u0085nel",
  "ends with quote\"",
  `very long ${"abc-xyz_0123456789 ".repeat(250)}end`,
  `very long hostile ${'q"\\\n}{=,'.repeat(400)}end`,
  `emoji long ${"🚀é\"\\".repeat(500)}`,
];

/** Undocumented Overview.Status values: each gets its own aws_ssm_association_status series. */
const ODD_STATUSES: readonly string[] = ["InProgress", "Cancelled", "TimedOut", "Ünknown ✨", 'Weird "status"\\'];

/** DetailedStatus is free text. */
const DETAILED_STATUSES: Record<string, readonly string[]> = {
  Success: ["Success", "Associated"],
  Failed: ["Failed", "UnsupportedAgent", 'Failed: "exit 1"\nsee logs \\ here'],
  Pending: ["Pending", "Creating", "Associated"],
};

/** Target-count maps with keys the exporter does not always render, and empty ones. */
function oddCounts(rng: () => number): Record<string, number> {
  const n = 1 + Math.floor(rng() * 40);
  switch (Math.floor(rng() * 6)) {
    case 0:
      return {};
    case 1:
      return { Success: n, Skipped: 1 + Math.floor(rng() * 5) };
    case 2:
      return { Pending: n, TimedOut: 1 };
    case 3:
      return { Failed: 1, Cancelled: n };
    case 4:
      return { Success: n, Failed: 2, Pending: 3, Skipped: 4, TimedOut: 5, Cancelled: 6 };
    default:
      return { "Weird \"key\"\n": n };
  }
}

/** Document names AWS allows ([a-zA-Z0-9_\-.:/]{3,128}), including ARNs of shared documents. */
const DOCUMENT_NAMES: readonly string[] = [
  "AWS-RunPatchBaseline",
  "AWS-GatherSoftwareInventory",
  "Acme-Soak_Doc.v2",
  "arn:aws:ssm:us-east-1:111122223333:document/Shared-Hardening_1.0",
  "arn:aws:ssm:eu-west-1:444455556666:document/team/sub-doc.v3",
  "abc",
  `Long-${"x".repeat(123)}`,
];

export interface ChurnStats {
  steps: number;
  creates: number;
  deletes: number;
  renames: number;
  statusFlips: number;
  countMapChanges: number;
  minCount: number;
  maxCount: number;
}


export class Churner {
  readonly stats: ChurnStats;
  private readonly rng: () => number;
  /** Associations currently carrying a hostile name → their previous name. */
  private readonly hostile = new Map<string, string | undefined>();
  private readonly oddStatus = new Set<string>();
  private readonly oddCounts = new Set<string>();
  private readonly hostileSize: number;
  private readonly oddStatusSize: number;
  private readonly oddCountsSize: number;
  private nextHostile = 0;
  private created = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly scope: SimScope,
    private readonly target: number,
    private readonly seed: number,
  ) {
    this.rng = mulberry32(seed);
    this.hostileSize = Math.max(HOSTILE_NAMES.length, Math.round(target * 0.02));
    this.oddStatusSize = Math.max(3, Math.round(target * 0.005));
    this.oddCountsSize = Math.max(5, Math.round(target * 0.02));
    this.stats = { steps: 0, creates: 0, deletes: 0, renames: 0, statusFlips: 0, countMapChanges: 0, minCount: target, maxCount: target };
  }

  /**
   * target − 1 generated associations plus the sentinel, pools filled. The sentinel says which data a
   * scrape serves: AssociationVersion = the churn step, DocumentVersion = the poll that read it.
   */
  seedData(): void {
    this.sim.generate(this.scope, this.target - 1, this.seed);
    this.sim.addAssociation(this.scope, {
      Name: "Soak-Sentinel",
      AssociationId: SENTINEL_ID,
      AssociationName: "soak-sentinel",
      AssociationVersion: "0",
      DocumentVersion: "0",
      ScheduleExpression: "rate(30 minutes)",
      Overview: { Status: "Success", DetailedStatus: "Success", AssociationStatusAggregatedCount: { Success: 1 } },
    });
    this.refillPools(this.ids());
  }

  /** Marks the data with the poll about to read it: the sentinel's DocumentVersion becomes `poll`. */
  markPoll(poll: number): WireAssociation[] {
    this.sim.updateAssociation(this.scope, SENTINEL_ID, { DocumentVersion: String(poll) });
    return this.sim.getAssociations(this.scope);
  }

  /**
   * Churn step number `version`: the sentinel's AssociationVersion becomes `version`, then creates,
   * deletes, renames, status flips and count-map changes.
   */
  step(version: number): void {
    const rng = this.rng;
    const int = (lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
    this.sim.updateAssociation(this.scope, SENTINEL_ID, { AssociationVersion: String(version) });

    let ids = this.ids();
    const count = ids.length;
    let deletes = int(0, 3);
    let creates = int(0, 3);
    if (count > this.target + 10) deletes += 3;
    if (count < this.target - 10) creates += 3;
    for (const id of this.pickDistinct(ids, deletes)) {
      this.sim.deleteAssociation(this.scope, id);
      this.forget(id);
      this.stats.deletes++;
    }
    const templates = generateAssociations(creates, { seed: this.seed * 100_003 + version, region: this.scope.region });
    for (const template of templates) {
      this.created++;
      // A UUID like the generated ones (same length), unique by its first group: the creation counter.
      const id = `${this.created.toString(16).padStart(8, "0")}${template.AssociationId.slice(8)}`;
      const a: WireAssociation = { ...template, AssociationId: id };
      if (rng() < 0.1) a.Name = DOCUMENT_NAMES[int(0, DOCUMENT_NAMES.length - 1)] ?? a.Name;
      if (ids.includes(id)) continue;
      this.sim.addAssociation(this.scope, a);
      this.stats.creates++;
    }
    ids = this.ids();

    // Renames: some hostile names go back, as many new ones come in (refillPools tops the pool up).
    for (const id of this.pickDistinct([...this.hostile.keys()], 2)) {
      this.sim.updateAssociation(this.scope, id, { AssociationName: this.hostile.get(id) });
      this.hostile.delete(id);
      this.stats.renames++;
    }
    // Undocumented statuses and odd count maps: some go back to ordinary ones.
    for (const id of this.pickDistinct([...this.oddStatus], 1)) {
      this.sim.setStatus(this.scope, id, "Success");
      this.oddStatus.delete(id);
      this.stats.statusFlips++;
    }
    for (const id of this.pickDistinct([...this.oddCounts], 2)) {
      const overview = this.one(id).Overview;
      const total = Object.values(overview?.AssociationStatusAggregatedCount ?? {}).reduce((s, n) => s + n, 0);
      this.setCounts(id, { [overview?.Status ?? "Success"]: Math.max(1, total) });
      this.oddCounts.delete(id);
    }
    this.refillPools(ids);

    // Status flips between the documented statuses, as runs would: failures recover, healthy ones fail.
    const ordinary = ids.filter((id) => id !== SENTINEL_ID && !this.oddStatus.has(id));
    for (const id of this.pickDistinct(ordinary, int(3, 8))) {
      const status = rng() < 0.45 ? "Success" : rng() < 0.8 ? "Failed" : "Pending";
      const details = DETAILED_STATUSES[status] ?? [status];
      this.sim.setStatus(this.scope, id, status, details[int(0, details.length - 1)]);
      this.stats.statusFlips++;
    }

    const after = this.ids().length;
    this.stats.steps++;
    this.stats.minCount = Math.min(this.stats.minCount, after);
    this.stats.maxCount = Math.max(this.stats.maxCount, after);
  }

  private refillPools(ids: readonly string[]): void {
    const free = (id: string): boolean => id !== SENTINEL_ID && !this.hostile.has(id) && !this.oddStatus.has(id) && !this.oddCounts.has(id);
    const names = new Map(this.sim.getAssociations(this.scope).map((a) => [a.AssociationId, a.AssociationName]));
    for (const id of this.pickDistinct(ids.filter(free), this.hostileSize - this.hostile.size)) {
      const name = HOSTILE_NAMES[this.nextHostile++ % HOSTILE_NAMES.length];
      this.hostile.set(id, names.get(id));
      this.sim.updateAssociation(this.scope, id, { AssociationName: name });
      this.stats.renames++;
    }
    for (const id of this.pickDistinct(ids.filter(free), this.oddStatusSize - this.oddStatus.size)) {
      this.sim.setStatus(this.scope, id, ODD_STATUSES[Math.floor(this.rng() * ODD_STATUSES.length)] ?? "InProgress");
      this.oddStatus.add(id);
      this.stats.statusFlips++;
    }
    for (const id of this.pickDistinct(ids.filter(free), this.oddCountsSize - this.oddCounts.size)) {
      this.setCounts(id, oddCounts(this.rng));
      this.oddCounts.add(id);
    }
  }

  private setCounts(id: string, counts: Record<string, number>): void {
    const overview = this.one(id).Overview ?? {};
    this.sim.updateAssociation(this.scope, id, { Overview: { ...overview, AssociationStatusAggregatedCount: counts } });
    this.stats.countMapChanges++;
  }

  private forget(id: string): void {
    this.hostile.delete(id);
    this.oddStatus.delete(id);
    this.oddCounts.delete(id);
  }

  /** A copy of one association (an empty patch returns the association, without copying the whole scope). */
  private one(id: string): WireAssociation {
    return this.sim.updateAssociation(this.scope, id, {});
  }

  private ids(): string[] {
    return this.sim.getAssociations(this.scope).map((a) => a.AssociationId);
  }

  /** Up to n distinct ids, never the sentinel. */
  private pickDistinct(ids: readonly string[], n: number): string[] {
    const pool = ids.filter((id) => id !== SENTINEL_ID);
    const out: string[] = [];
    while (out.length < n && pool.length > 0) {
      const [id] = pool.splice(Math.floor(this.rng() * pool.length), 1);
      if (id !== undefined) out.push(id);
    }
    return out;
  }
}
