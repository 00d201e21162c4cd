import { hashString, intBetween, mulberry32, pick, type Rng } from "./rng.js";

/**
 * AWS Organizations state: one organization (or none) with its root, OUs, member accounts and
 * delegated administrators. Wire shapes are spelled as the AWS model spells them
 * (organizations/2016-11-28), so what is set here is what the SDK receives.
 */

/** `Account.Status` (being retired by AWS on 2026-09-09 in favour of State). */
export const ACCOUNT_STATUSES = ["ACTIVE", "SUSPENDED", "PENDING_CLOSURE"] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** `Account.State`. */
export const ACCOUNT_STATES = ["PENDING_ACTIVATION", "ACTIVE", "SUSPENDED", "PENDING_CLOSURE", "CLOSED"] as const;
export type AccountState = (typeof ACCOUNT_STATES)[number];

export type AccountJoinedMethod = "INVITED" | "CREATED";

export interface WireOrgAccount {
  Id: string;
  Arn: string;
  Email: string;
  Name: string;
  Status: AccountStatus;
  State: AccountState;
  JoinedMethod: AccountJoinedMethod;
  /** Epoch seconds, may be fractional. */
  JoinedTimestamp: number;
}

export interface WireRoot {
  Id: string;
  Arn: string;
  Name: string;
  PolicyTypes: { Type: string; Status: string }[];
}

export interface WireOrganization {
  Id: string;
  Arn: string;
  FeatureSet: "ALL";
  MasterAccountArn: string;
  MasterAccountId: string;
  MasterAccountEmail: string;
  /** Deprecated by AWS; always empty here. */
  AvailablePolicyTypes: { Type: string; Status: string }[];
}

/** An OU as the in-process API shows it (the wire has no OU listing among our operations but ListChildren). */
export interface OrganizationalUnitInfo {
  Id: string;
  Arn: string;
  Name: string;
  ParentId: string;
}

/** An account as the in-process API shows it: the wire shape plus where it sits. */
export interface OrgAccountInfo extends WireOrgAccount {
  ParentId: string;
}

export interface AddAccountOptions {
  /** 12 digits; default: a fresh deterministic id. */
  id?: string;
  name: string;
  /** Default `aws+<id>@example.com`. */
  email?: string;
  /** Root or OU id; default the root. */
  parentId?: string;
  /** Default ACTIVE. State follows it unless `state` is given. */
  status?: AccountStatus;
  state?: AccountState;
  /** Default CREATED. */
  joinedMethod?: AccountJoinedMethod;
  /** Epoch milliseconds; default now. */
  joinedAt?: number;
}

/** An OU tree for generateOrganization: a name, or a name with child OUs. */
export type OuSpec = string | { name: string; children?: readonly OuSpec[] };

export interface GenerateOrganizationOptions {
  /** Accounts in total, the management account included (≥ 1). */
  accounts: number;
  /** Default DEFAULT_GENERATED_OUS. Accounts go to the root and to every OU. */
  ous?: readonly OuSpec[];
  seed?: number;
  /** Default the simulator's default account. */
  managementAccountId?: string;
  /** Ids the first member accounts get (e.g. accounts that also have SSM data); the rest are made up. */
  memberAccountIds?: readonly string[];
}

export const DEFAULT_GENERATED_OUS: readonly OuSpec[] = [
  "Security",
  "Infrastructure",
  { name: "Workloads", children: ["Prod", "Staging", "Dev"] },
  "Sandbox",
];

/** Raised by the in-process API when a root, OU or account id does not exist in the organization. */
export class UnknownOrganizationEntityError extends Error {
  constructor(
    readonly entityId: string,
    what: string,
  ) {
    super(`${what} ${entityId} does not exist in the organization`);
    this.name = "UnknownOrganizationEntityError";
  }
}

/** Raised by the in-process API when there is no organization yet. */
export class NoOrganizationError extends Error {
  constructor() {
    super("there is no organization; call createOrganization or generateOrganization first");
    this.name = "NoOrganizationError";
  }
}

interface StoredAccount {
  /** Insertion sequence number; the paging order of ListAccounts and ListAccountsForParent. */
  seq: number;
  account: WireOrgAccount;
  parentId: string;
}

interface StoredOu {
  seq: number;
  id: string;
  name: string;
  parentId: string;
}

interface OrgData {
  id: string;
  rootId: string;
  managementAccountId: string;
  epoch: number;
  nextSeq: number;
  /** Insertion order = seq order. */
  accounts: StoredAccount[];
  ous: StoredOu[];
  delegatedAdministrators: Set<string>;
  rng: Rng;
}

/** An entry of a listing, as the paging layer sees it. */
export interface OrgListEntry<T> {
  seq: number;
  item: T;
}

/** What the protocol layer reads: copies-free views, paged by seq. */
export interface OrganizationView {
  id: string;
  epoch: number;
  managementAccountId: string;
  isAdministrator(accountId: string): boolean;
  isMember(accountId: string): boolean;
  organization: WireOrganization;
  root: WireRoot;
  accounts(): OrgListEntry<WireOrgAccount>[];
  /** Undefined when the parent does not exist. */
  accountsOf(parentId: string): OrgListEntry<WireOrgAccount>[] | undefined;
  /** Undefined when the parent does not exist. */
  childOusOf(parentId: string): OrgListEntry<{ Id: string }>[] | undefined;
}

const ACCOUNT_ID = /^\d{12}$/;
const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
/** Generated JoinedTimestamps fall in the five years from here, so they do not depend on the clock. */
const GENERATED_JOINED_FROM_MS = Date.UTC(2019, 0, 1);
const FIVE_YEARS_MS = 5 * 365 * 86_400_000;

/**
 * The organization of the simulated AWS: at most one, whose management account is set at creation.
 * Everything goes in and out as copies.
 */
export class SimOrganization {
  private data: OrgData | undefined;
  /** Epochs only grow, so a re-created organization never accepts an old NextToken. */
  private epochCounter = 0;

  constructor(
    private readonly defaultAccountId: string,
    private readonly now: () => number,
  ) {}

  /** Whether an organization exists. */
  get exists(): boolean {
    return this.data !== undefined;
  }

  /**
   * Creates the organization (replacing any existing one): a root named "Root" and the management
   * account in it. Ids are derived from the management account id and `seed`, so they are stable.
   */
  createOrganization(options: { managementAccountId?: string; managementAccountName?: string; managementAccountEmail?: string; seed?: number } = {}): WireOrganization {
    const managementAccountId = options.managementAccountId ?? this.defaultAccountId;
    assertAccountId(managementAccountId);
    const rng = mulberry32(hashString(`org/${managementAccountId}/${options.seed ?? 1}`));
    const id = `o-${randomChars(rng, 10)}`;
    this.data = {
      id,
      rootId: `r-${randomChars(rng, 4)}`,
      managementAccountId,
      epoch: ++this.epochCounter,
      nextSeq: 0,
      accounts: [],
      ous: [],
      delegatedAdministrators: new Set(),
      rng,
    };
    this.addAccount({
      id: managementAccountId,
      name: options.managementAccountName ?? "Management",
      ...(options.managementAccountEmail !== undefined && { email: options.managementAccountEmail }),
      joinedMethod: "INVITED",
    });
    return this.describe();
  }

  /** Removes the organization; every Organizations call then answers AWSOrganizationsNotInUseException. */
  deleteOrganization(): void {
    this.data = undefined;
  }

  describe(): WireOrganization {
    const org = this.org();
    const management = org.accounts.find((a) => a.account.Id === org.managementAccountId);
    return {
      Id: org.id,
      Arn: `arn:aws:organizations::${org.managementAccountId}:organization/${org.id}`,
      FeatureSet: "ALL",
      MasterAccountArn: accountArn(org, org.managementAccountId),
      MasterAccountId: org.managementAccountId,
      MasterAccountEmail: management?.account.Email ?? defaultEmail(org.managementAccountId),
      AvailablePolicyTypes: [],
    };
  }

  get rootId(): string {
    return this.org().rootId;
  }

  get managementAccountId(): string {
    return this.org().managementAccountId;
  }

  /** Adds an OU under the root or another OU; returns its id (`ou-<root suffix>-<8 chars>`). */
  addOrganizationalUnit(parentId: string, name: string): string {
    const org = this.org();
    this.assertParent(org, parentId);
    if (typeof name !== "string" || name.length < 1 || name.length > 128) throw new TypeError("OU name must be 1–128 characters");
    let id: string;
    do id = `ou-${org.rootId.slice(2)}-${randomChars(org.rng, 8)}`;
    while (org.ous.some((o) => o.id === id));
    org.ous.push({ seq: org.nextSeq++, id, name, parentId });
    return id;
  }

  /** Removes an empty OU (like AWS: it must hold no accounts or OUs). */
  removeOrganizationalUnit(ouId: string): void {
    const org = this.org();
    const i = org.ous.findIndex((o) => o.id === ouId);
    if (i < 0) throw new UnknownOrganizationEntityError(ouId, "OU");
    if (org.accounts.some((a) => a.parentId === ouId) || org.ous.some((o) => o.parentId === ouId)) {
      throw new TypeError(`OU ${ouId} is not empty`);
    }
    org.ous.splice(i, 1);
  }

  organizationalUnits(): OrganizationalUnitInfo[] {
    const org = this.org();
    return org.ous.map((o) => ({ Id: o.id, Arn: ouArn(org, o.id), Name: o.name, ParentId: o.parentId }));
  }

  /** Adds a member account (shows up on the last page of a listing in progress). */
  addAccount(options: AddAccountOptions): OrgAccountInfo {
    const org = this.org();
    const parentId = options.parentId ?? org.rootId;
    this.assertParent(org, parentId);
    let id = options.id;
    if (id === undefined) {
      do id = randomAccountId(org.rng);
      while (org.accounts.some((a) => a.account.Id === id));
    }
    assertAccountId(id);
    if (org.accounts.some((a) => a.account.Id === id)) throw new TypeError(`account ${id} is already in the organization`);
    if (typeof options.name !== "string" || options.name.length < 1 || options.name.length > 128) {
      throw new TypeError("account name must be 1–128 characters");
    }
    const status = options.status ?? "ACTIVE";
    assertStatus(status);
    const state = options.state ?? status;
    assertState(state);
    const account: WireOrgAccount = {
      Id: id,
      Arn: accountArn(org, id),
      Email: options.email ?? defaultEmail(id),
      Name: options.name,
      Status: status,
      State: state,
      JoinedMethod: options.joinedMethod ?? "CREATED",
      JoinedTimestamp: Math.round(options.joinedAt ?? this.now()) / 1000,
    };
    org.accounts.push({ seq: org.nextSeq++, account, parentId });
    return infoOf(account, parentId);
  }

  /** Sets Status, and State to the same value. */
  setAccountStatus(accountId: string, status: AccountStatus): OrgAccountInfo {
    assertStatus(status);
    return this.mutate(accountId, (a) => {
      a.Status = status;
      a.State = status;
    });
  }

  /** Sets State, and Status as AWS derives it (CLOSED → SUSPENDED, PENDING_ACTIVATION → ACTIVE). */
  setAccountState(accountId: string, state: AccountState): OrgAccountInfo {
    assertState(state);
    return this.mutate(accountId, (a) => {
      a.State = state;
      a.Status = statusFor(state);
    });
  }

  /** A closed account: Status SUSPENDED, State CLOSED; it stays listed (AWS keeps it for 90 days). */
  closeAccount(accountId: string): OrgAccountInfo {
    if (accountId === this.org().managementAccountId) throw new TypeError("the management account cannot be closed while it has an organization");
    return this.setAccountState(accountId, "CLOSED");
  }

  /** Removes a member account from the organization (and from the delegated administrators). */
  removeAccount(accountId: string): boolean {
    const org = this.org();
    if (accountId === org.managementAccountId) throw new TypeError("the management account cannot leave its organization");
    const i = org.accounts.findIndex((a) => a.account.Id === accountId);
    if (i < 0) return false;
    org.accounts.splice(i, 1);
    org.delegatedAdministrators.delete(accountId);
    return true;
  }

  /** Moves an account to another root or OU (it keeps its place in ListAccounts' order). */
  moveAccount(accountId: string, parentId: string): OrgAccountInfo {
    const org = this.org();
    this.assertParent(org, parentId);
    const stored = this.stored(org, accountId);
    stored.parentId = parentId;
    return infoOf(stored.account, parentId);
  }

  /** A member account may then call the listing operations as the management account can. */
  registerDelegatedAdministrator(accountId: string): void {
    const org = this.org();
    if (accountId === org.managementAccountId) throw new TypeError("the management account cannot be a delegated administrator");
    this.stored(org, accountId);
    org.delegatedAdministrators.add(accountId);
  }

  deregisterDelegatedAdministrator(accountId: string): boolean {
    return this.org().delegatedAdministrators.delete(accountId);
  }

  delegatedAdministrators(): string[] {
    return [...this.org().delegatedAdministrators];
  }

  /** Every account in ListAccounts order, with its parent. */
  accounts(): OrgAccountInfo[] {
    return this.org().accounts.map((a) => infoOf(a.account, a.parentId));
  }

  account(accountId: string): OrgAccountInfo {
    const stored = this.stored(this.org(), accountId);
    return infoOf(stored.account, stored.parentId);
  }

  /**
   * Replaces the organization with a generated one: the OU tree `ous`, then `accounts` accounts in
   * total (the management account in the root, the others spread over the root and every OU),
   * about 6% SUSPENDED (half of those closed), about 2% PENDING_CLOSURE, the rest ACTIVE. The same
   * options always give the same organization (ids, names, places, statuses, JoinedTimestamps).
   */
  generateOrganization(options: GenerateOrganizationOptions): OrgAccountInfo[] {
    const { accounts } = options;
    if (!(Number.isInteger(accounts) && accounts >= 1 && accounts <= 100_000)) {
      throw new RangeError(`accounts must be an integer from 1 to 100000 (the management account included), got ${accounts}`);
    }
    const seed = options.seed ?? 1;
    this.createOrganization({
      ...(options.managementAccountId !== undefined && { managementAccountId: options.managementAccountId }),
      seed,
    });
    const org = this.org();
    const rng = mulberry32(hashString(`org-members/${seed}`));
    const parents = [org.rootId];
    const addOus = (parentId: string, specs: readonly OuSpec[]) => {
      for (const spec of specs) {
        const name = typeof spec === "string" ? spec : spec.name;
        const id = this.addOrganizationalUnit(parentId, name);
        parents.push(id);
        if (typeof spec !== "string") addOus(id, spec.children ?? []);
      }
    };
    addOus(org.rootId, options.ous ?? DEFAULT_GENERATED_OUS);
    const management = org.accounts[0];
    if (management !== undefined) management.account.JoinedTimestamp = GENERATED_JOINED_FROM_MS / 1000;
    const given = (options.memberAccountIds ?? []).filter((id, i, all) => id !== org.managementAccountId && all.indexOf(id) === i);
    for (let n = 1; n < accounts; n++) {
      const roll = rng();
      const state: AccountState = roll < 0.03 ? "SUSPENDED" : roll < 0.06 ? "CLOSED" : roll < 0.08 ? "PENDING_CLOSURE" : "ACTIVE";
      const givenId = given[n - 1];
      const name = `${pick(rng, ACCOUNT_NAME_PREFIXES)}-${String(n).padStart(4, "0")}`;
      this.addAccount({
        ...(givenId !== undefined && { id: givenId }),
        name,
        email: `aws+${name}@example.com`,
        parentId: pick(rng, parents),
        status: statusFor(state),
        state,
        joinedMethod: rng() < 0.8 ? "CREATED" : "INVITED",
        joinedAt: GENERATED_JOINED_FROM_MS + intBetween(rng, 0, FIVE_YEARS_MS),
      });
    }
    return this.accounts();
  }

  /** For the protocol layer; undefined when there is no organization. */
  view(): OrganizationView | undefined {
    const org = this.data;
    if (org === undefined) return undefined;
    const parentExists = (id: string) => id === org.rootId || org.ous.some((o) => o.id === id);
    return {
      id: org.id,
      epoch: org.epoch,
      managementAccountId: org.managementAccountId,
      isAdministrator: (accountId) => accountId === org.managementAccountId || org.delegatedAdministrators.has(accountId),
      isMember: (accountId) => org.accounts.some((a) => a.account.Id === accountId),
      organization: this.describe(),
      root: { Id: org.rootId, Arn: `arn:aws:organizations::${org.managementAccountId}:root/${org.id}/${org.rootId}`, Name: "Root", PolicyTypes: [] },
      accounts: () => org.accounts.map((a) => ({ seq: a.seq, item: a.account })),
      accountsOf: (parentId) =>
        parentExists(parentId) ? org.accounts.filter((a) => a.parentId === parentId).map((a) => ({ seq: a.seq, item: a.account })) : undefined,
      childOusOf: (parentId) =>
        parentExists(parentId) ? org.ous.filter((o) => o.parentId === parentId).map((o) => ({ seq: o.seq, item: { Id: o.id } })) : undefined,
    };
  }

  // --- internals --------------------------------------------------------------------------------

  private org(): OrgData {
    if (this.data === undefined) throw new NoOrganizationError();
    return this.data;
  }

  private assertParent(org: OrgData, parentId: string): void {
    if (parentId !== org.rootId && !org.ous.some((o) => o.id === parentId)) throw new UnknownOrganizationEntityError(parentId, "root or OU");
  }

  private stored(org: OrgData, accountId: string): StoredAccount {
    const stored = org.accounts.find((a) => a.account.Id === accountId);
    if (stored === undefined) throw new UnknownOrganizationEntityError(accountId, "account");
    return stored;
  }

  private mutate(accountId: string, change: (a: WireOrgAccount) => void): OrgAccountInfo {
    const stored = this.stored(this.org(), accountId);
    change(stored.account);
    return infoOf(stored.account, stored.parentId);
  }
}

const ACCOUNT_NAME_PREFIXES = ["app", "data", "platform", "shared", "team", "workload", "analytics", "edge"] as const;

/** The Status AWS shows next to a State. */
export function statusFor(state: AccountState): AccountStatus {
  switch (state) {
    case "PENDING_ACTIVATION":
      return "ACTIVE";
    case "CLOSED":
      return "SUSPENDED";
    default:
      return state;
  }
}

function infoOf(account: WireOrgAccount, parentId: string): OrgAccountInfo {
  return { ...structuredClone(account), ParentId: parentId };
}

function accountArn(org: OrgData, accountId: string): string {
  return `arn:aws:organizations::${org.managementAccountId}:account/${org.id}/${accountId}`;
}

function ouArn(org: OrgData, ouId: string): string {
  return `arn:aws:organizations::${org.managementAccountId}:ou/${org.id}/${ouId}`;
}

function defaultEmail(accountId: string): string {
  return `aws+${accountId}@example.com`;
}

function randomChars(rng: Rng, n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += ALNUM[Math.floor(rng() * ALNUM.length)] ?? "a";
  return out;
}

function randomAccountId(rng: Rng): string {
  // No leading zero, so the id never looks like a truncated number.
  let id = String(1 + Math.floor(rng() * 9));
  for (let i = 1; i < 12; i++) id += String(Math.floor(rng() * 10));
  return id;
}

function assertAccountId(accountId: string): void {
  if (!ACCOUNT_ID.test(accountId)) throw new TypeError(`account id must be 12 digits, got ${JSON.stringify(accountId)}`);
}

function assertStatus(status: string): asserts status is AccountStatus {
  if (!(ACCOUNT_STATUSES as readonly string[]).includes(status)) {
    throw new RangeError(`account status must be one of ${ACCOUNT_STATUSES.join(", ")}, got ${JSON.stringify(status)}`);
  }
}

function assertState(state: string): asserts state is AccountState {
  if (!(ACCOUNT_STATES as readonly string[]).includes(state)) {
    throw new RangeError(`account state must be one of ${ACCOUNT_STATES.join(", ")}, got ${JSON.stringify(state)}`);
  }
}
