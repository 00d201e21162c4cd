import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  ListRootsCommand,
  OrganizationsClient,
  type OrganizationsClientConfig,
  paginateListAccounts,
  type Account,
} from "@aws-sdk/client-organizations";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import { rejection, stsClient, TEST_SECRET } from "./helpers.js";

const MANAGEMENT = "111111111111";
const MEMBER = "222222222222";
const OUTSIDER = "999999999999";
const ACCOUNTS = 47;

let server: RunningSimulator;

beforeAll(async () => {
  server = await startSimulator({ defaultAccountId: MANAGEMENT });
});
afterAll(() => server.close());
beforeEach(() => {
  server.sim.clearFaults();
  server.sim.resetCounters();
  server.sim.organization().generateOrganization({ accounts: ACCOUNTS, seed: 7, memberAccountIds: [MEMBER] });
  server.sim.mapAccessKey("AKIDMEMBER", MEMBER);
  server.sim.mapAccessKey("AKIDOUTSIDER", OUTSIDER);
});

/** A real SDK client; one attempt, so call counts equal requests. */
function orgClient(accessKeyId = "AKIDMANAGEMENT", extra: Partial<OrganizationsClientConfig> = {}): OrganizationsClient {
  return new OrganizationsClient({
    region: "us-east-1",
    endpoint: server.url,
    credentials: { accessKeyId, secretAccessKey: TEST_SECRET },
    maxAttempts: 1,
    ...extra,
  });
}

async function withClient<T>(use: (client: OrganizationsClient) => Promise<T>, accessKeyId?: string): Promise<T> {
  const client = orgClient(accessKeyId);
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

async function listAll(client: OrganizationsClient, maxResults?: number): Promise<{ accounts: Account[]; calls: number }> {
  const accounts: Account[] = [];
  let calls = 0;
  let token: string | undefined;
  do {
    const out = await client.send(new ListAccountsCommand({ ...(maxResults !== undefined && { MaxResults: maxResults }), NextToken: token }));
    calls += 1;
    expect(out.Accounts?.length ?? 0).toBeLessThanOrEqual(maxResults ?? 20);
    accounts.push(...(out.Accounts ?? []));
    token = out.NextToken;
  } while (token !== undefined);
  return { accounts, calls };
}

/** Depth-first over the OU tree with ListChildren (both child types) and ListAccountsForParent. */
async function walk(client: OrganizationsClient, parentId: string, pageSize: number): Promise<{ viaChildren: string[]; viaParent: string[]; ous: string[] }> {
  const result = { viaChildren: [] as string[], viaParent: [] as string[], ous: [] as string[] };
  const pages = async <T>(fetchPage: (token: string | undefined) => Promise<{ items: T[]; next: string | undefined }>) => {
    const all: T[] = [];
    let token: string | undefined;
    do {
      const { items, next } = await fetchPage(token);
      all.push(...items);
      token = next;
    } while (token !== undefined);
    return all;
  };
  const children = async (type: "ACCOUNT" | "ORGANIZATIONAL_UNIT") =>
    pages(async (token) => {
      const out = await client.send(new ListChildrenCommand({ ParentId: parentId, ChildType: type, MaxResults: pageSize, NextToken: token }));
      for (const c of out.Children ?? []) expect(c.Type).toBe(type);
      return { items: (out.Children ?? []).map((c) => c.Id ?? ""), next: out.NextToken };
    });
  result.viaChildren.push(...(await children("ACCOUNT")));
  const accounts = await pages(async (token) => {
    const out = await client.send(new ListAccountsForParentCommand({ ParentId: parentId, MaxResults: pageSize, NextToken: token }));
    return { items: out.Accounts ?? [], next: out.NextToken };
  });
  result.viaParent.push(...accounts.map((a) => a.Id ?? ""));
  for (const ou of await children("ORGANIZATIONAL_UNIT")) {
    expect(ou).toMatch(/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/);
    result.ous.push(ou);
    const sub = await walk(client, ou, pageSize);
    result.viaChildren.push(...sub.viaChildren);
    result.viaParent.push(...sub.viaParent);
    result.ous.push(...sub.ous);
  }
  return result;
}

describe("Organizations ListAccounts through the real SDK", () => {
  it.each([1, 2, 3, 7, 19, 20, undefined])("MaxResults %s: every account exactly once, in ceil(N/P) calls", async (maxResults) => {
    const { accounts, calls } = await withClient((c) => listAll(c, maxResults));
    const ids = accounts.map((a) => a.Id);
    expect(ids).toHaveLength(ACCOUNTS);
    expect(new Set(ids).size).toBe(ACCOUNTS);
    expect(new Set(ids)).toEqual(new Set(server.sim.organization().accounts().map((a) => a.Id)));
    expect(calls).toBe(Math.ceil(ACCOUNTS / (maxResults ?? 20)));
    expect(server.sim.callCount("ListAccounts")).toBe(calls);
  });

  it("every MaxResults from 1 to 20 pages to the same list (the SDK paginator too)", async () => {
    const client = orgClient();
    const reference = (await listAll(client, 20)).accounts.map((a) => a.Id);
    for (let p = 1; p <= 20; p++) expect((await listAll(client, p)).accounts.map((a) => a.Id)).toEqual(reference);
    const viaPaginator: string[] = [];
    for await (const page of paginateListAccounts({ client, pageSize: 5 }, {})) viaPaginator.push(...(page.Accounts ?? []).map((a) => a.Id ?? ""));
    expect(viaPaginator).toEqual(reference);
    client.destroy();
  });

  it("answers every field of the model's Account shape, JoinedTimestamp as a Date", async () => {
    const { accounts } = await withClient((c) => listAll(c));
    const org = server.sim.organization().describe();
    for (const a of accounts) {
      expect(Object.keys(a).sort()).toEqual(["Arn", "Email", "Id", "JoinedMethod", "JoinedTimestamp", "Name", "State", "Status"]);
      expect(a.Id).toMatch(/^\d{12}$/);
      expect(a.Arn).toBe(`arn:aws:organizations::${MANAGEMENT}:account/${org.Id}/${a.Id}`);
      expect(a.Email).toMatch(/^[^\s@]+@[^\s@]+\.[^\s@]+$/);
      expect(["ACTIVE", "SUSPENDED", "PENDING_CLOSURE"]).toContain(a.Status);
      expect(["PENDING_ACTIVATION", "ACTIVE", "SUSPENDED", "PENDING_CLOSURE", "CLOSED"]).toContain(a.State);
      expect(["INVITED", "CREATED"]).toContain(a.JoinedMethod);
      expect(a.JoinedTimestamp).toBeInstanceOf(Date);
    }
    expect(accounts.find((a) => a.Id === MANAGEMENT)).toMatchObject({ Name: "Management", Status: "ACTIVE", State: "ACTIVE" });
  });

  it("shows status changes, closed and removed accounts, and new accounts on the next page", async () => {
    const org = server.sim.organization();
    const [a, b, c] = org.accounts().filter((x) => x.Id !== MANAGEMENT && x.Id !== MEMBER);
    org.setAccountStatus(a!.Id, "SUSPENDED");
    org.setAccountStatus(b!.Id, "PENDING_CLOSURE");
    org.closeAccount(c!.Id);
    org.setAccountState(MEMBER, "PENDING_ACTIVATION");
    const client = orgClient();
    const first = await client.send(new ListAccountsCommand({ MaxResults: 20 }));
    const added = org.addAccount({ id: "333333333333", name: "late-joiner", status: "ACTIVE" });
    expect(org.removeAccount(first.Accounts![5]!.Id!)).toBe(true);
    const rest: Account[] = [];
    let token = first.NextToken;
    while (token !== undefined) {
      const out = await client.send(new ListAccountsCommand({ MaxResults: 20, NextToken: token }));
      rest.push(...(out.Accounts ?? []));
      token = out.NextToken;
    }
    const byId = new Map([...first.Accounts!, ...rest].map((x) => [x.Id, x]));
    expect(byId.get(a!.Id)).toMatchObject({ Status: "SUSPENDED", State: "SUSPENDED" });
    expect(byId.get(b!.Id)).toMatchObject({ Status: "PENDING_CLOSURE", State: "PENDING_CLOSURE" });
    expect(byId.get(c!.Id)).toMatchObject({ Status: "SUSPENDED", State: "CLOSED" });
    expect(byId.get(MEMBER)).toMatchObject({ Status: "ACTIVE", State: "PENDING_ACTIVATION" });
    expect(rest.at(-1)).toMatchObject({ Id: added.Id, Name: "late-joiner", JoinedMethod: "CREATED" });
    // Nothing repeats across pages although an account left in between.
    expect(new Set([...first.Accounts!, ...rest].map((x) => x.Id)).size).toBe(first.Accounts!.length + rest.length);
    expect((await listAll(client)).accounts).toHaveLength(ACCOUNTS);
    client.destroy();
  });
});

describe("Organizations tree: ListRoots, ListChildren, ListAccountsForParent", () => {
  it("ListRoots answers the one root", async () => {
    const out = await withClient((c) => c.send(new ListRootsCommand({})));
    const org = server.sim.organization().describe();
    expect(out.NextToken).toBeUndefined();
    expect(out.Roots).toEqual([
      { Id: server.sim.organization().rootId, Arn: `arn:aws:organizations::${MANAGEMENT}:root/${org.Id}/${server.sim.organization().rootId}`, Name: "Root", PolicyTypes: [] },
    ]);
    expect(out.Roots![0]!.Id).toMatch(/^r-[0-9a-z]{4,32}$/);
  });

  it.each([1, 3, 20])("a recursive walk (page size %s) finds every account once, as ListAccounts does", async (pageSize) => {
    const client = orgClient();
    const rootId = (await client.send(new ListRootsCommand({}))).Roots![0]!.Id!;
    const walked = await walk(client, rootId, pageSize);
    const listed = (await listAll(client)).accounts.map((a) => a.Id!);
    expect(walked.viaChildren.slice().sort()).toEqual(listed.slice().sort());
    expect(walked.viaParent).toEqual(walked.viaChildren);
    expect(new Set(walked.ous)).toEqual(new Set(server.sim.organization().organizationalUnits().map((o) => o.Id)));
    // Workloads has three child OUs: the default tree is nested.
    expect(walked.ous).toHaveLength(7);
    client.destroy();
  });

  it("follows moves and new OUs", async () => {
    const org = server.sim.organization();
    const ou = org.addOrganizationalUnit(org.rootId, "Quarantine");
    org.moveAccount(MEMBER, ou);
    const out = await withClient((c) => c.send(new ListAccountsForParentCommand({ ParentId: ou })));
    expect(out.Accounts?.map((a) => a.Id)).toEqual([MEMBER]);
    const kids = await withClient((c) => c.send(new ListChildrenCommand({ ParentId: ou, ChildType: "ACCOUNT" })));
    expect(kids.Children).toEqual([{ Id: MEMBER, Type: "ACCOUNT" }]);
    expect(() => org.removeOrganizationalUnit(ou)).toThrow(/not empty/);
  });

  it("an unknown parent is ParentNotFoundException; a malformed one or a missing ChildType InvalidInputException", async () => {
    const client = orgClient();
    const missing = await rejection(client.send(new ListAccountsForParentCommand({ ParentId: "ou-zzzz-zzzzzzzz" })));
    expect([missing.name, missing.$metadata?.httpStatusCode, missing.message]).toEqual([
      "ParentNotFoundException",
      400,
      "We can't find a root or OU with the ParentId that you specified.",
    ]);
    const missingRoot = await rejection(client.send(new ListChildrenCommand({ ParentId: "r-zzzz", ChildType: "ACCOUNT" })));
    expect(missingRoot.name).toBe("ParentNotFoundException");
    const malformed = await rejection(client.send(new ListAccountsForParentCommand({ ParentId: "123456789012" })));
    expect([malformed.name, (malformed as { Reason?: string }).Reason]).toEqual(["InvalidInputException", "INVALID_PATTERN"]);
    const noType = await rejection(client.send(new ListChildrenCommand({ ParentId: server.sim.organization().rootId, ChildType: undefined })));
    expect([noType.name, (noType as { Reason?: string }).Reason]).toEqual(["InvalidInputException", "INPUT_REQUIRED"]);
    const badType = await rejection(client.send(new ListChildrenCommand({ ParentId: server.sim.organization().rootId, ChildType: "POLICY" as "ACCOUNT" })));
    expect([badType.name, (badType as { Reason?: string }).Reason]).toEqual(["InvalidInputException", "INVALID_ENUM"]);
    client.destroy();
  });
});

describe("Organizations input errors", () => {
  const reasonOf = (err: Error) => (err as { Reason?: string }).Reason;

  it.each([
    ["garbage", "not-a-token"],
    ["tampered", "eyJ2IjoxfQ.AAAAAAAAAAAA"],
  ])("a %s NextToken is InvalidInputException with Reason INVALID_NEXT_TOKEN", async (_what, token) => {
    const err = await withClient((c) => rejection(c.send(new ListAccountsCommand({ NextToken: token }))));
    expect([err.name, err.$metadata?.httpStatusCode, reasonOf(err)]).toEqual(["InvalidInputException", 400, "INVALID_NEXT_TOKEN"]);
  });

  it("a token of another listing, or of an organization since replaced, is invalid too", async () => {
    const client = orgClient();
    const token = (await client.send(new ListAccountsCommand({ MaxResults: 1 }))).NextToken;
    const root = server.sim.organization().rootId;
    const other = await rejection(client.send(new ListAccountsForParentCommand({ ParentId: root, NextToken: token })));
    expect([other.name, reasonOf(other)]).toEqual(["InvalidInputException", "INVALID_NEXT_TOKEN"]);
    server.sim.organization().generateOrganization({ accounts: ACCOUNTS, seed: 7 });
    const stale = await rejection(client.send(new ListAccountsCommand({ MaxResults: 1, NextToken: token })));
    expect([stale.name, reasonOf(stale)]).toEqual(["InvalidInputException", "INVALID_NEXT_TOKEN"]);
    client.destroy();
  });

  it.each([
    [0, "MIN_VALUE_EXCEEDED"],
    [21, "MAX_VALUE_EXCEEDED"],
  ])("MaxResults %s is InvalidInputException %s", async (maxResults, reason) => {
    const err = await withClient((c) => rejection(c.send(new ListAccountsCommand({ MaxResults: maxResults }))));
    expect([err.name, reasonOf(err)]).toEqual(["InvalidInputException", reason]);
  });
});

describe("Organizations callers", () => {
  it("DescribeOrganization answers the organization, to the management account and to members", async () => {
    const org = server.sim.organization().describe();
    expect(org.Id).toMatch(/^o-[a-z0-9]{10,32}$/);
    for (const key of ["AKIDMANAGEMENT", "AKIDMEMBER"]) {
      const out = await withClient((c) => c.send(new DescribeOrganizationCommand({})), key);
      expect(out.Organization).toEqual({
        Id: org.Id,
        Arn: `arn:aws:organizations::${MANAGEMENT}:organization/${org.Id}`,
        FeatureSet: "ALL",
        MasterAccountArn: `arn:aws:organizations::${MANAGEMENT}:account/${org.Id}/${MANAGEMENT}`,
        MasterAccountId: MANAGEMENT,
        MasterAccountEmail: org.MasterAccountEmail,
        AvailablePolicyTypes: [],
      });
    }
    expect(server.sim.callCount("DescribeOrganization", { region: "us-east-1", accountId: MEMBER })).toBe(1);
  });

  it("a member that is not a delegated administrator gets AccessDeniedException from the listings", async () => {
    const client = orgClient("AKIDMEMBER");
    for (const call of [
      () => client.send(new ListAccountsCommand({})),
      () => client.send(new ListRootsCommand({})),
      () => client.send(new ListChildrenCommand({ ParentId: server.sim.organization().rootId, ChildType: "ACCOUNT" })),
      () => client.send(new ListAccountsForParentCommand({ ParentId: server.sim.organization().rootId })),
    ]) {
      const err = await rejection(call());
      expect([err.name, err.$metadata?.httpStatusCode, err.message]).toEqual(["AccessDeniedException", 400, "You don't have permissions to access this resource."]);
    }
    server.sim.organization().registerDelegatedAdministrator(MEMBER);
    expect((await listAll(client)).accounts).toHaveLength(ACCOUNTS);
    server.sim.organization().deregisterDelegatedAdministrator(MEMBER);
    expect((await rejection(client.send(new ListAccountsCommand({})))).name).toBe("AccessDeniedException");
    client.destroy();
  });

  it("an account outside the organization, or any account without one, gets AWSOrganizationsNotInUseException", async () => {
    const outsider = await withClient((c) => rejection(c.send(new DescribeOrganizationCommand({}))), "AKIDOUTSIDER");
    expect([outsider.name, outsider.$metadata?.httpStatusCode]).toEqual(["AWSOrganizationsNotInUseException", 400]);
    const removed = server.sim.organization().accounts().find((a) => a.Id !== MANAGEMENT)!.Id;
    server.sim.organization().removeAccount(removed);
    server.sim.mapAccessKey("AKIDREMOVED", removed);
    expect((await withClient((c) => rejection(c.send(new ListAccountsCommand({}))), "AKIDREMOVED")).name).toBe("AWSOrganizationsNotInUseException");
    server.sim.organization().deleteOrganization();
    const none = await withClient((c) => rejection(c.send(new ListAccountsCommand({}))));
    expect(none.name).toBe("AWSOrganizationsNotInUseException");
  });

  it("credentials from AssumeRole into the management account list the organization", async () => {
    const sts = stsClient(server.url);
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MANAGEMENT}:role/OrgReader`, RoleSessionName: "org-test" }),
    );
    sts.destroy();
    const client = new OrganizationsClient({
      region: "us-east-1",
      endpoint: server.url,
      maxAttempts: 1,
      credentials: { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken! },
    });
    expect((await client.send(new ListRootsCommand({}))).Roots).toHaveLength(1);
    client.destroy();
  });

  it("is reachable through AWS_ENDPOINT_URL_ORGANIZATIONS", async () => {
    const saved = process.env.AWS_ENDPOINT_URL_ORGANIZATIONS;
    process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = server.url;
    try {
      const client = new OrganizationsClient({ region: "us-east-1", credentials: { accessKeyId: "AKIDENV", secretAccessKey: "x" }, maxAttempts: 1 });
      expect((await client.send(new DescribeOrganizationCommand({}))).Organization?.MasterAccountId).toBe(MANAGEMENT);
      client.destroy();
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_ORGANIZATIONS;
      else process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = saved;
    }
  });
});

describe("Organizations faults and call counts", () => {
  it("ThrottlingException is Organizations' TooManyRequestsException; InternalServerError its ServiceException", async () => {
    server.sim.injectFault({ kind: "ThrottlingException", count: 1, operation: "ListAccounts" });
    server.sim.injectFault({ kind: "InternalServerError", count: 1, operation: "ListChildren" });
    server.sim.injectFault({ kind: "AccessDeniedException", count: 1, operation: "DescribeOrganization" });
    const client = orgClient();
    const throttled = await rejection(client.send(new ListAccountsCommand({})));
    expect([throttled.name, throttled.$metadata?.httpStatusCode]).toEqual(["TooManyRequestsException", 400]);
    expect(throttled.message).toMatch(/too many requests/);
    const broken = await rejection(client.send(new ListChildrenCommand({ ParentId: server.sim.organization().rootId, ChildType: "ACCOUNT" })));
    expect([broken.name, broken.$metadata?.httpStatusCode]).toEqual(["ServiceException", 500]);
    const denied = await rejection(client.send(new DescribeOrganizationCommand({})));
    expect([denied.name, denied.message]).toEqual([
      "AccessDeniedException",
      `User: arn:aws:iam::${MANAGEMENT}:user/simulated is not authorized to perform: organizations:DescribeOrganization (simulated)`,
    ]);
    // Each fault was used up; the next calls succeed.
    expect((await listAll(client)).accounts).toHaveLength(ACCOUNTS);
    expect(server.sim.callCount("ListAccounts")).toBe(1 + Math.ceil(ACCOUNTS / 20));
    expect(server.sim.callCount("ListChildren")).toBe(1);
    expect(server.sim.callCount("ListAssociations")).toBe(0);
    client.destroy();
  });

  it("the SDK retries TooManyRequestsException as throttling", async () => {
    server.sim.injectFault({ kind: "ThrottlingException", count: 1, operation: "ListRoots" });
    const client = new OrganizationsClient({ region: "us-east-1", endpoint: server.url, credentials: { accessKeyId: "AKIDRETRY", secretAccessKey: "x" }, maxAttempts: 2 });
    const out = await client.send(new ListRootsCommand({}));
    expect(out.$metadata.attempts).toBe(2);
    expect(server.sim.callCount("ListRoots")).toBe(2);
    client.destroy();
  });

  it("skip hits a later page; InvalidNextToken hits an Organizations listing as InvalidInputException", async () => {
    server.sim.injectFault({ kind: "InvalidNextToken", count: 1, operation: "ListAccounts", skip: 1 });
    const client = orgClient();
    const first = await client.send(new ListAccountsCommand({}));
    const err = await rejection(client.send(new ListAccountsCommand({ NextToken: first.NextToken })));
    expect([err.name, (err as { Reason?: string }).Reason]).toEqual(["InvalidInputException", "INVALID_NEXT_TOKEN"]);
    client.destroy();
  });

  it("faults can target one calling account", async () => {
    server.sim.organization().registerDelegatedAdministrator(MEMBER);
    server.sim.injectFault({ kind: "ThrottlingException", count: Infinity, operation: "ListAccounts", accountId: MEMBER });
    expect((await withClient((c) => rejection(c.send(new ListAccountsCommand({}))), "AKIDMEMBER")).name).toBe("TooManyRequestsException");
    expect((await withClient((c) => c.send(new ListAccountsCommand({})))).Accounts).toHaveLength(20);
    expect(server.sim.callCount("ListAccounts", { region: "us-east-1", accountId: MEMBER })).toBe(1);
    expect(server.sim.callCount("ListAccounts", { region: "us-east-1", accountId: MANAGEMENT })).toBe(1);
  });

  it("transport faults reach the SDK as connection errors", async () => {
    const client = orgClient("AKIDTRANSPORT", { requestHandler: { requestTimeout: 250, throwOnRequestTimeout: true } });
    server.sim.injectFault({ kind: "rst", count: 1, operation: "ListAccounts" });
    const reset = (await rejection(client.send(new ListAccountsCommand({})))) as Error & { code?: string };
    expect(reset.code).toBe("ECONNRESET");
    server.sim.injectFault({ kind: "blackhole", count: 1, operation: "ListAccounts" });
    const timedOut = (await rejection(client.send(new ListAccountsCommand({})))) as Error & { code?: string };
    expect(timedOut.code).toBe("ETIMEDOUT");
    server.sim.injectFault({ kind: "http503", count: 1, operation: "ListAccounts" });
    expect((await rejection(client.send(new ListAccountsCommand({})))).$metadata?.httpStatusCode).toBe(503);
    server.sim.injectFault({ kind: "slow", count: 1, operation: "ListAccounts", delayMs: 100 });
    const started = Date.now();
    expect((await client.send(new ListAccountsCommand({}))).Accounts).toHaveLength(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    client.destroy();
  });

  it.each(["html200", "empty200", "emptyObject200", "notJson", "wrongTypes"] as const)("whole-body fault %s answers 200 with that body", async (kind) => {
    server.sim.injectFault({ kind, count: 1, operation: "ListAccounts" });
    const res = await rawOrg("ListAccounts", {});
    expect(res.status).toBe(200);
    if (kind === "wrongTypes") expect(res.body).toBe('{"Accounts":"not-a-list","NextToken":42}');
    if (kind === "emptyObject200") expect(res.body).toBe("{}");
  });

  it("page-distorting faults stay ListAssociations-only", () => {
    expect(() => server.sim.injectFault({ kind: "truncatedJson", count: 1, operation: "ListAccounts" })).toThrow(/only applies to ListAssociations/);
    expect(() => server.sim.injectFault({ kind: "InvalidNextToken", count: 1, operation: "DescribeOrganization" })).toThrow(/only applies to ListAssociations/);
  });
});

describe("Organizations wire format", () => {
  it("sends JoinedTimestamp as epoch seconds and errors as {__type, Message, Reason}", async () => {
    const ok = await rawOrg("ListAccounts", { MaxResults: 1 });
    expect(ok.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    const page = JSON.parse(ok.body) as { Accounts: { JoinedTimestamp: unknown }[]; NextToken: string };
    expect(typeof page.Accounts[0]!.JoinedTimestamp).toBe("number");
    expect(page.Accounts[0]!.JoinedTimestamp).toBe(Date.UTC(2019, 0, 1) / 1000);
    expect(page.NextToken).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{12}$/);

    const bad = await rawOrg("ListAccounts", { NextToken: "x" });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-amzn-errortype")).toBe("InvalidInputException");
    expect(JSON.parse(bad.body)).toEqual({ __type: "InvalidInputException", Message: "The specified NextToken isn't valid.", Reason: "INVALID_NEXT_TOKEN" });
  });

  it("rejects an unknown Organizations operation", async () => {
    const res = await rawOrg("CreateAccount", {});
    expect([res.status, JSON.parse(res.body).__type]).toEqual([400, "UnknownOperationException"]);
  });
});

describe("generateOrganization", () => {
  it("is deterministic: the same options give the same organization, another seed another", () => {
    const org = server.sim.organization();
    const once = [org.generateOrganization({ accounts: 120, seed: 3 }), org.organizationalUnits(), org.describe()];
    const twice = [org.generateOrganization({ accounts: 120, seed: 3 }), org.organizationalUnits(), org.describe()];
    expect(twice).toEqual(once);
    const other = org.generateOrganization({ accounts: 120, seed: 4 });
    expect(other.map((a) => a.Id)).not.toEqual((once[0] as { Id: string }[]).map((a) => a.Id));
  });

  it("makes a realistic mix: unique ids, OUs all used, mostly ACTIVE, some suspended or closing", () => {
    const org = server.sim.organization();
    const accounts = org.generateOrganization({ accounts: 500, seed: 1, memberAccountIds: ["444444444444", "555555555555"] });
    expect(accounts).toHaveLength(500);
    expect(new Set(accounts.map((a) => a.Id)).size).toBe(500);
    expect(accounts.slice(0, 3).map((a) => a.Id)).toEqual([MANAGEMENT, "444444444444", "555555555555"]);
    const parents = new Set(accounts.map((a) => a.ParentId));
    expect(parents.size).toBe(1 + org.organizationalUnits().length);
    const states = (s: string) => accounts.filter((a) => a.State === s).length;
    expect(states("ACTIVE")).toBeGreaterThan(400);
    expect(states("SUSPENDED") + states("CLOSED") + states("PENDING_CLOSURE")).toBeGreaterThan(10);
    for (const a of accounts.filter((x) => x.State === "CLOSED")) expect(a.Status).toBe("SUSPENDED");
  });

  it("takes a custom OU tree and validates its input", () => {
    const org = server.sim.organization();
    org.generateOrganization({ accounts: 10, ous: [{ name: "A", children: [{ name: "B", children: ["C"] }] }] });
    const ous = org.organizationalUnits();
    expect(ous.map((o) => o.Name)).toEqual(["A", "B", "C"]);
    expect(ous[1]!.ParentId).toBe(ous[0]!.Id);
    expect(ous[2]!.ParentId).toBe(ous[1]!.Id);
    expect(() => org.generateOrganization({ accounts: 0 })).toThrow(RangeError);
    expect(() => org.addAccount({ name: "x", parentId: "ou-zzzz-zzzzzzzz" })).toThrow(/does not exist/);
    expect(() => org.addAccount({ id: MANAGEMENT, name: "dup" })).toThrow(/already/);
    expect(() => org.removeAccount(MANAGEMENT)).toThrow(/management account/);
    expect(() => org.setAccountStatus(MANAGEMENT, "CLOSED" as "SUSPENDED")).toThrow(RangeError);
  });
});

async function rawOrg(operation: string, input: Record<string, unknown>): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(server.url, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `AWSOrganizationsV20161128.${operation}`,
      authorization: "AWS4-HMAC-SHA256 Credential=AKIDRAW/20240101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=00",
    },
    body: JSON.stringify(input),
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}
