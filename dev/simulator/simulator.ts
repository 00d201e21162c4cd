import {
  AssumedRoleStore,
  stableId,
  type AssumeRoleParams,
  type Caller,
  type CallerResolution,
  type IssuedCredentials,
  type IssuedCredentialsInfo,
  type RolePolicy,
} from "./assumed-roles.js";
import { reconcileHistory, seedHistory, type AssociationHistory, type WireTag } from "./association-history.js";
import type { DescribeView } from "./describe-operations.js";
import { UnknownAssociationError } from "./errors.js";
import { FaultBook, type CallSite } from "./faults.js";
import type { ListView, StoredAssociation } from "./list-associations.js";
import { SimOrganization } from "./organization.js";
import type { Rng } from "./rng.js";
import { overdueLastExecution, seedAssociations, type SeededConditions } from "./seed.js";
import { parseSchedule, previousScheduled } from "./schedule.js";
import type { FaultSpec, SimOperation, SimScope, TakenFault, WireAssociation } from "./types.js";

export const DEFAULT_ACCOUNT_ID = "123456789012";

export interface SimulatorStateOptions {
  defaultAccountId?: string;
  /** Epoch milliseconds; injectable so tests can pin generated and churned timestamps and move
   * credential expiry along. Default: `Date.now()` at each use (so fake timers apply). */
  now?: () => number;
  /**
   * Lifetime of credentials issued by AssumeRole, in whole seconds, overriding the request's
   * DurationSeconds (default 3600). The SDK refreshes credentials that expire within 5 minutes,
   * so ≤ 300 means "refresh before every request"; see README.
   */
  credentialLifetimeSeconds?: number;
}

/** Where a ListAssociations page is about to be computed. */
export interface ListSite {
  region: string;
  accountId: string;
}

/**
 * Called synchronously before a ListAssociations page is computed (after the request passed auth,
 * fault selection and validation), `firstPage` true when the request carried no NextToken. Data
 * changed here is what the page shows.
 */
export type BeforeListListener = (site: ListSite, firstPage: boolean) => void;

export interface CallCountEntry {
  operation: SimOperation;
  accountId: string;
  region: string;
  count: number;
}

interface ScopeData {
  epoch: number;
  nextSeq: number;
  entries: StoredAssociation[];
}

/** A patch for updateAssociation; the AssociationId itself cannot change. */
export type AssociationPatch = Partial<Omit<WireAssociation, "AssociationId">>;

const ACCOUNT_ID = /^\d{12}$/;
/** How long after its slot runDue records a run. */
export const RUN_DUE_DELAY_MS = 20_000;

/**
 * The simulated service's state, without any HTTP: associations per account×region, injected
 * faults, per-call counters and the access-key → account map. Everything goes in and out as
 * copies, so callers can never mutate the served data behind the simulator's back.
 */
export class Simulator {
  readonly defaultAccountId: string;
  private readonly now: () => number;
  private readonly data = new Map<string, ScopeData>();
  /** Per scope key, per AssociationId: the history behind the Describe* operations (made on first use). */
  private readonly histories = new Map<string, Map<string, AssociationHistory>>();
  /** Per scope key: what generate() and makeOverdue() made so on purpose. */
  private readonly seeded = new Map<string, SeededConditions>();
  private readonly faultBook = new FaultBook();
  private readonly calls = new Map<string, CallCountEntry>();
  private readonly accessKeys = new Map<string, string>();
  private readonly roles: AssumedRoleStore;
  private readonly org: SimOrganization;
  private beforeListListeners: BeforeListListener[] = [];
  /** Epochs only grow, across all scopes, so a replaced scope never reuses an old epoch. */
  private epochCounter = 0;

  constructor(options: SimulatorStateOptions = {}) {
    this.defaultAccountId = options.defaultAccountId ?? DEFAULT_ACCOUNT_ID;
    assertAccountId(this.defaultAccountId);
    this.now = options.now ?? (() => Date.now());
    this.roles = new AssumedRoleStore({ now: this.now, credentialLifetimeSeconds: options.credentialLifetimeSeconds });
    this.org = new SimOrganization(this.defaultAccountId, this.now);
  }

  // --- AWS Organizations ------------------------------------------------------------------------

  /** The simulated AWS Organizations state (none until createOrganization or generateOrganization). */
  organization(): SimOrganization {
    return this.org;
  }

  // --- data -------------------------------------------------------------------------------------

  /** Replaces the scope's associations (order kept; it is the ListAssociations order). */
  setAssociations(scope: SimScope, list: readonly WireAssociation[]): void {
    const key = this.scopeKey(scope);
    const seen = new Set<string>();
    for (const a of list) {
      if (typeof a.AssociationId !== "string" || a.AssociationId === "" || typeof a.Name !== "string" || a.Name === "") {
        throw new TypeError("every association needs a non-empty Name and AssociationId");
      }
      if (seen.has(a.AssociationId)) throw new TypeError(`duplicate AssociationId ${a.AssociationId}`);
      seen.add(a.AssociationId);
    }
    this.seeded.delete(key);
    this.histories.delete(key);
    this.data.set(key, {
      epoch: ++this.epochCounter,
      nextSeq: list.length,
      entries: list.map((a, seq) => ({ seq, association: structuredClone(a) })),
    });
  }

  getAssociations(scope: SimScope): WireAssociation[] {
    return (this.data.get(this.scopeKey(scope))?.entries ?? []).map((e) => structuredClone(e.association));
  }

  /** Replaces the scope's data with generateAssociations output and returns a copy of it; what it
   * seeded on purpose is kept for seededConditions. */
  generate(scope: SimScope, count: number, seed = 1): WireAssociation[] {
    const { associations, seeded } = seedAssociations(count, { seed, region: scope.region, now: this.now() });
    this.setAssociations(scope, associations);
    this.seeded.set(this.scopeKey(scope), seeded);
    return structuredClone(associations);
  }

  /**
   * What generate() seeded on purpose in this scope (failed, failed targets, overdue, never ran, on
   * time), plus the associations makeOverdue() made overdue since; lists hold only associations that
   * still exist. Later setStatus, updateAssociation, churn or runDue changes are not tracked. Undefined
   * when the scope's data did not come from generate() (setAssociations drops the record).
   */
  seededConditions(scope: SimScope): SeededConditions | undefined {
    const seeded = this.seeded.get(this.scopeKey(scope));
    if (seeded === undefined) return undefined;
    const present = new Set(this.getAssociations(scope).map((a) => a.AssociationId));
    const keep = (ids: string[]) => ids.filter((id) => present.has(id));
    return {
      now: seeded.now,
      failed: keep(seeded.failed),
      targetsFailed: keep(seeded.targetsFailed),
      overdue: keep(seeded.overdue),
      neverRan: keep(seeded.neverRan),
      onTime: keep(seeded.onTime),
    };
  }

  /**
   * Makes an association miss its latest scheduled run, at least 2 h ago (seed.ts
   * OVERDUE_MIN_LATE_MS): LastExecutionDate goes back to the run before. Recorded as overdue in
   * seededConditions, and runDue leaves it alone. RangeError when its schedule cannot be so now
   * (unscheduled, at(), a cron whose latest slot is younger, a rate() with a shorter period).
   */
  makeOverdue(scope: SimScope, associationId: string): WireAssociation {
    const changed = this.mutate(scope, associationId, (a) => {
      a.LastExecutionDate = overdueLastExecution(a, this.now());
    });
    const key = this.scopeKey(scope);
    const seeded = this.seeded.get(key) ?? { now: this.now(), failed: [], targetsFailed: [], overdue: [], neverRan: [], onTime: [] };
    seeded.onTime = seeded.onTime.filter((id) => id !== associationId);
    seeded.neverRan = seeded.neverRan.filter((id) => id !== associationId);
    if (!seeded.overdue.includes(associationId)) seeded.overdue.push(associationId);
    this.seeded.set(key, seeded);
    return changed;
  }

  /**
   * Runs what is due, as State Manager would, so a long demo stays on time: every association whose
   * scheduled run (cron, rate(), or an at() that has come) is more than RUN_DUE_DELAY_MS past and not
   * yet recorded gets LastExecutionDate = that run + RUN_DUE_DELAY_MS; an at() that never ran also
   * becomes Success. Associations seeded or made overdue, and those that never ran on a recurring
   * schedule, stay as they are. Returns copies of the changed ones.
   */
  runDue(scope: SimScope): WireAssociation[] {
    const nowMs = this.now();
    const overdue = new Set(this.seeded.get(this.scopeKey(scope))?.overdue ?? []);
    const changed: WireAssociation[] = [];
    for (const { association: a } of this.data.get(this.scopeKey(scope))?.entries ?? []) {
      if (overdue.has(a.AssociationId)) continue;
      const schedule = parseSchedule(a.ScheduleExpression, a.ScheduleOffset);
      const lastMs = a.LastExecutionDate === undefined ? undefined : a.LastExecutionDate * 1000;
      if (schedule === undefined || (lastMs === undefined && schedule.kind !== "at")) continue;
      const due = previousScheduled(schedule, lastMs, nowMs);
      if (due === undefined || (lastMs !== undefined && lastMs >= due) || due + RUN_DUE_DELAY_MS > nowMs) continue;
      a.LastExecutionDate = Math.round(due + RUN_DUE_DELAY_MS) / 1000;
      if (lastMs === undefined) this.setStatus(scope, a.AssociationId, "Success");
      changed.push(structuredClone(a));
    }
    return changed;
  }

  /** Appends one association (a new one shows up on the last page of a listing in progress). */
  addAssociation(scope: SimScope, association: WireAssociation): void {
    const data = this.scopeData(scope);
    if (data.entries.some((e) => e.association.AssociationId === association.AssociationId)) {
      throw new TypeError(`duplicate AssociationId ${association.AssociationId}`);
    }
    data.entries.push({ seq: data.nextSeq++, association: structuredClone(association) });
  }

  /**
   * Sets Overview.Status (and DetailedStatus, defaulting to the status) and moves the per-target
   * counts along: all targets to the new status, except that Failed keeps at least one failed target.
   * An empty or absent count map stays as it is (tag targets often report `{}`).
   */
  setStatus(scope: SimScope, associationId: string, status: string, detailedStatus?: string): WireAssociation {
    return this.mutate(scope, associationId, (a) => {
      const counts = a.Overview?.AssociationStatusAggregatedCount;
      a.Overview = {
        ...a.Overview,
        Status: status,
        DetailedStatus: detailedStatus ?? status,
      };
      if (counts !== undefined) a.Overview.AssociationStatusAggregatedCount = redistribute(counts, status);
    });
  }

  updateAssociation(scope: SimScope, associationId: string, patch: AssociationPatch): WireAssociation {
    if ("AssociationId" in patch && (patch as WireAssociation).AssociationId !== associationId) {
      throw new TypeError("updateAssociation cannot change AssociationId");
    }
    return this.mutate(scope, associationId, (a) => {
      Object.assign(a, structuredClone(patch));
    });
  }

  deleteAssociation(scope: SimScope, associationId: string): boolean {
    const data = this.data.get(this.scopeKey(scope));
    const i = data?.entries.findIndex((e) => e.association.AssociationId === associationId) ?? -1;
    if (data === undefined || i < 0) return false;
    data.entries.splice(i, 1);
    this.histories.get(this.scopeKey(scope))?.delete(associationId);
    return true;
  }

  /**
   * Simulates runs: n distinct random associations flip status as if they had just run. Each pick
   * is a coin toss between recovering a Failed one (→ Success) and failing a healthy one (→ Failed),
   * so a long-running demo keeps roughly its initial share of failures. Returns copies of the changed.
   */
  churn(scope: SimScope, n: number, rng: Rng = Math.random): WireAssociation[] {
    const entries = this.data.get(this.scopeKey(scope))?.entries ?? [];
    const failed: string[] = [];
    const healthy: string[] = [];
    for (const e of entries) (e.association.Overview?.Status === "Failed" ? failed : healthy).push(e.association.AssociationId);
    const changed: WireAssociation[] = [];
    const nowSeconds = Math.round(this.now()) / 1000;
    for (let k = 0; k < n && failed.length + healthy.length > 0; k++) {
      const recover = failed.length > 0 && (healthy.length === 0 || rng() < 0.5);
      const pool = recover ? failed : healthy;
      const [id] = pool.splice(Math.floor(rng() * pool.length), 1);
      if (id === undefined) break;
      this.setStatus(scope, id, recover ? "Success" : "Failed");
      changed.push(this.updateAssociation(scope, id, { LastExecutionDate: nowSeconds }));
    }
    return changed;
  }

  /**
   * An association's history as DescribeAssociationExecutions shows it (newest first, copies), with
   * LastSuccessfulExecutionDate and tags: seeded from the association on first use, then kept up to
   * date with every change. UnknownAssociationError if it does not exist.
   */
  associationHistory(scope: SimScope, associationId: string): AssociationHistory {
    const key = this.scopeKey(scope);
    const entry = this.data.get(key)?.entries.find((e) => e.association.AssociationId === associationId);
    if (entry === undefined) throw new UnknownAssociationError(associationId, key);
    return structuredClone(this.historyOf(key, entry.association));
  }

  /** Replaces an association's tags (ListTagsForResource). */
  setTags(scope: SimScope, associationId: string, tags: readonly WireTag[]): void {
    const key = this.scopeKey(scope);
    const entry = this.data.get(key)?.entries.find((e) => e.association.AssociationId === associationId);
    if (entry === undefined) throw new UnknownAssociationError(associationId, key);
    this.historyOf(key, entry.association).tags = tags.map((t) => ({ Key: t.Key, Value: t.Value }));
  }

  /** Scopes that hold data (possibly an empty list). */
  scopes(): Required<SimScope>[] {
    return [...this.data.keys()].map(parseScopeKey);
  }

  // --- faults, counters, accounts ---------------------------------------------------------------

  injectFault(spec: FaultSpec): void {
    this.faultBook.add(spec);
  }

  clearFaults(): void {
    this.faultBook.clear();
  }

  pendingFaults(): FaultSpec[] {
    return this.faultBook.list();
  }

  /** Requests of `operation` that reached the handler (faulted and rejected ones included).
   * Without a scope: across all accounts and regions. */
  callCount(operation: SimOperation, scope?: SimScope): number {
    if (scope === undefined) {
      let total = 0;
      for (const c of this.calls.values()) if (c.operation === operation) total += c.count;
      return total;
    }
    return this.calls.get(callKey(operation, this.resolveScope(scope)))?.count ?? 0;
  }

  callCounts(): CallCountEntry[] {
    return [...this.calls.values()].map((c) => ({ ...c }));
  }

  resetCounters(): void {
    this.calls.clear();
  }

  mapAccessKey(accessKeyId: string, accountId: string): void {
    if (accessKeyId === "") throw new TypeError("accessKeyId must not be empty");
    assertAccountId(accountId);
    this.accessKeys.set(accessKeyId, accountId);
  }

  /** The account an access key reads: mapped → issued by AssumeRole (the role's account) → default. */
  accountFor(accessKeyId: string): string {
    return this.accessKeys.get(accessKeyId) ?? this.roles.session(accessKeyId)?.accountId ?? this.defaultAccountId;
  }

  // --- STS AssumeRole ---------------------------------------------------------------------------

  /** AssumeRole for this role answers 403 AccessDenied until allowAssumeRole. */
  denyAssumeRole(roleArn: string): void {
    this.roles.denyAssumeRole(roleArn);
  }

  allowAssumeRole(roleArn: string): void {
    this.roles.allowAssumeRole(roleArn);
  }

  /** AssumeRole for this role must carry this ExternalId (else 403 AccessDenied); undefined lifts it. */
  requireExternalId(roleArn: string, externalId: string | undefined): void {
    this.roles.requireExternalId(roleArn, externalId);
  }

  /** Roles with a deny or an ExternalId requirement (every other role can be assumed). */
  rolePolicies(): RolePolicy[] {
    return this.roles.rolePolicies();
  }

  /** Whole seconds > 0, or undefined to go back to the request's DurationSeconds (default 3600). */
  setCredentialLifetime(seconds: number | undefined): void {
    this.roles.setCredentialLifetime(seconds);
  }

  get credentialLifetimeSeconds(): number | undefined {
    return this.roles.credentialLifetimeSeconds;
  }

  /** Every credential set AssumeRole has issued (the newest 10 000), expired ones included. */
  issuedCredentials(): IssuedCredentialsInfo[] {
    return this.roles.issued();
  }

  /** Expires issued credentials now: one access key or all. Returns how many were still valid. */
  expireCredentials(accessKeyId?: string): number {
    return this.roles.expire(accessKeyId);
  }

  // --- hooks ------------------------------------------------------------------------------------

  /**
   * Registers a listener called synchronously before each ListAssociations page is computed (see
   * BeforeListListener); returns a function that removes this registration. A listener that throws
   * turns the request into a 500 InternalServerError ("Simulator bug: ...").
   */
  onBeforeList(listener: (site: { region: string; accountId: string }, firstPage: boolean) => void): () => void {
    const entry: BeforeListListener = (site, firstPage) => listener(site, firstPage);
    this.beforeListListeners = [...this.beforeListListeners, entry];
    return () => {
      this.beforeListListeners = this.beforeListListeners.filter((l) => l !== entry);
    };
  }

  /** For the protocol layer: runs the onBeforeList listeners (a snapshot, so they may unsubscribe). */
  notifyBeforeList(site: ListSite, firstPage: boolean): void {
    for (const listener of this.beforeListListeners) listener({ region: site.region, accountId: site.accountId }, firstPage);
  }

  // --- for the protocol layer -------------------------------------------------------------------

  /**
   * Who signed a request. Keys issued by AssumeRole need their session token and must not have
   * expired; other "ASIA" keys are unknown (invalid) unless mapped with mapAccessKey; any other key
   * is an IAM user of its mapped account or of the default account.
   */
  resolveCaller(accessKeyId: string, sessionToken: string | undefined): CallerResolution {
    const mapped = this.accessKeys.get(accessKeyId);
    if (mapped === undefined) {
      const session = this.roles.resolve(accessKeyId, sessionToken);
      if (session !== undefined) return session;
      if (accessKeyId.startsWith("ASIA")) return { ok: false, reason: "invalid" };
    }
    const accountId = mapped ?? this.defaultAccountId;
    return {
      ok: true,
      caller: { accountId, arn: `arn:aws:iam::${accountId}:user/simulated`, userId: stableId("AIDA", accessKeyId) },
    };
  }

  /** Issues credentials or throws SimAwsError (ValidationError, AccessDenied) like STS. Neither counts
   * the call nor applies faults: the protocol layer does that with beginCall. */
  assumeRole(params: AssumeRoleParams, caller: Caller): IssuedCredentials {
    return this.roles.assumeRole(params, caller);
  }

  /** Counts the call, then consumes and returns a matching fault, if any. */
  beginCall(site: CallSite): TakenFault | undefined {
    const key = callKey(site.operation, site);
    const entry = this.calls.get(key) ?? { ...site, count: 0 };
    entry.count += 1;
    this.calls.set(key, entry);
    return this.faultBook.take(site);
  }

  /** What the Describe* operations and ListTagsForResource read (histories are made and brought up to date on use). */
  describeView(scope: SimScope): DescribeView {
    const scopeKey = this.scopeKey(scope);
    const data = this.data.get(scopeKey);
    return {
      scopeKey,
      epoch: data?.epoch ?? 0,
      associations: (data?.entries ?? []).map((e) => e.association),
      history: (a) => this.historyOf(scopeKey, a),
    };
  }

  listView(scope: SimScope): ListView {
    const scopeKey = this.scopeKey(scope);
    const data = this.data.get(scopeKey);
    return { scopeKey, epoch: data?.epoch ?? 0, entries: data?.entries ?? [] };
  }

  resolveScope(scope: SimScope): Required<SimScope> {
    if (typeof scope.region !== "string" || scope.region === "") throw new TypeError("scope.region must not be empty");
    const accountId = scope.accountId ?? this.defaultAccountId;
    assertAccountId(accountId);
    return { region: scope.region, accountId };
  }

  // --- internals --------------------------------------------------------------------------------

  private scopeKey(scope: SimScope): string {
    const { accountId, region } = this.resolveScope(scope);
    return `${accountId}/${region}`;
  }

  private scopeData(scope: SimScope): ScopeData {
    const key = this.scopeKey(scope);
    let data = this.data.get(key);
    if (data === undefined) {
      data = { epoch: ++this.epochCounter, nextSeq: 0, entries: [] };
      this.data.set(key, data);
    }
    return data;
  }

  private mutate(scope: SimScope, associationId: string, change: (a: WireAssociation) => void): WireAssociation {
    const entry = this.data.get(this.scopeKey(scope))?.entries.find((e) => e.association.AssociationId === associationId);
    if (entry === undefined) throw new UnknownAssociationError(associationId, this.scopeKey(scope));
    change(entry.association);
    // A history already shown keeps up with every change (so two flips between reads are two executions).
    const history = this.histories.get(this.scopeKey(scope))?.get(associationId);
    if (history !== undefined) reconcileHistory(history, entry.association, this.now());
    return structuredClone(entry.association);
  }

  private historyOf(key: string, a: WireAssociation): AssociationHistory {
    let byId = this.histories.get(key);
    if (byId === undefined) {
      byId = new Map();
      this.histories.set(key, byId);
    }
    const existing = byId.get(a.AssociationId);
    if (existing !== undefined) return reconcileHistory(existing, a, this.now());
    const created = seedHistory(a, this.now());
    byId.set(a.AssociationId, created);
    return created;
  }
}

function assertAccountId(accountId: string): void {
  if (!ACCOUNT_ID.test(accountId)) throw new TypeError(`account id must be 12 digits, got ${JSON.stringify(accountId)}`);
}

function callKey(operation: SimOperation, scope: Required<SimScope>): string {
  return `${operation}|${scope.accountId}|${scope.region}`;
}

function parseScopeKey(key: string): Required<SimScope> {
  const slash = key.indexOf("/");
  return { accountId: key.slice(0, slash), region: key.slice(slash + 1) };
}

function redistribute(counts: Record<string, number>, status: string): Record<string, number> {
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  if (total === 0) return { ...counts };
  if (status === "Failed") {
    const failed = Math.min(total, Math.max(1, counts.Failed ?? 0));
    return failed === total ? { Failed: failed } : { Failed: failed, Success: total - failed };
  }
  return { [status]: total };
}
