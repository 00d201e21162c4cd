import {
  DescribeAssociationCommand,
  DescribeAssociationExecutionsCommand,
  DescribeAssociationExecutionTargetsCommand,
  ListAssociationsCommand,
  ListTagsForResourceCommand,
  paginateDescribeAssociationExecutions,
  paginateDescribeAssociationExecutionTargets,
  paginateListAssociations,
  type Association,
  type AssociationExecution,
  type AssociationExecutionTarget,
  type AssociationExecutionTargetsFilter,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import { rejection, ssmClient } from "./helpers.js";

const REGION = "eu-central-1";
const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const COUNT = 300;
const SEED = 7;
const SCOPE = { region: REGION };
const INSTANCE_ID = /^i-0[0-9a-f]{16}$/;

let clock = NOW;
let server: RunningSimulator;
let client: SSMClient;
/** The generated associations as the SDK lists them. */
let listed: Association[];

beforeAll(async () => {
  server = await startSimulator({ now: () => clock });
  client = ssmClient(server.url, REGION);
});
afterAll(async () => {
  client.destroy();
  await server.close();
});
beforeEach(async () => {
  clock = NOW;
  server.sim.clearFaults();
  server.sim.generate(SCOPE, COUNT, SEED);
  listed = [];
  for await (const page of paginateListAssociations({ client }, {})) listed.push(...(page.Associations ?? []));
  server.sim.resetCounters();
});

function seeded() {
  const s = server.sim.seededConditions(SCOPE);
  if (s === undefined) throw new Error("not generated");
  return s;
}

function byId(id: string): Association {
  const a = listed.find((x) => x.AssociationId === id);
  if (a === undefined) throw new Error(`no association ${id}`);
  return a;
}

async function describeOne(id: string) {
  const out = await client.send(new DescribeAssociationCommand({ AssociationId: id }));
  if (out.AssociationDescription === undefined) throw new Error("no AssociationDescription");
  return out.AssociationDescription;
}

async function allExecutions(id: string, pageSize?: number): Promise<AssociationExecution[]> {
  const out: AssociationExecution[] = [];
  for await (const page of paginateDescribeAssociationExecutions({ client, ...(pageSize !== undefined && { pageSize }) }, { AssociationId: id })) {
    out.push(...(page.AssociationExecutions ?? []));
  }
  return out;
}

async function allTargets(id: string, executionId: string, pageSize?: number, Filters?: AssociationExecutionTargetsFilter[]): Promise<AssociationExecutionTarget[]> {
  const out: AssociationExecutionTarget[] = [];
  const pages = paginateDescribeAssociationExecutionTargets(
    { client, ...(pageSize !== undefined && { pageSize }) },
    { AssociationId: id, ExecutionId: executionId, ...(Filters !== undefined && { Filters }) },
  );
  for await (const page of pages) out.push(...(page.AssociationExecutionTargets ?? []));
  return out;
}

async function latestExecution(id: string): Promise<AssociationExecution> {
  const out = await client.send(new DescribeAssociationExecutionsCommand({ AssociationId: id, MaxResults: 1 }));
  const latest = out.AssociationExecutions?.[0];
  if (latest === undefined) throw new Error(`no execution for ${id}`);
  return latest;
}

function sumCounts(counts: Record<string, number> | undefined): number {
  return Object.values(counts ?? {}).reduce((s, n) => s + n, 0);
}

describe("DescribeAssociation through the real SDK", () => {
  it("answers every seeded association consistently with ListAssociations, with the SDK's types", async () => {
    let withSuccess = 0;
    for (const a of listed) {
      const d = await describeOne(a.AssociationId ?? "");
      expect(d).toMatchObject({
        Name: a.Name,
        AssociationId: a.AssociationId,
        AssociationVersion: a.AssociationVersion,
        DocumentVersion: a.DocumentVersion,
        Overview: a.Overview,
        ComplianceSeverity: expect.stringMatching(/^(CRITICAL|HIGH|MEDIUM|LOW|UNSPECIFIED)$/),
        SyncCompliance: expect.stringMatching(/^(AUTO|MANUAL)$/),
        ApplyOnlyAtCronInterval: expect.any(Boolean),
        CalendarNames: expect.any(Array),
      });
      expect(d.Targets).toEqual(a.Targets);
      expect(d.ScheduleExpression).toBe(a.ScheduleExpression);
      expect(d.InstanceId).toBe(a.InstanceId);
      expect(d.AssociationName).toBe(a.AssociationName);
      expect(d.LastExecutionDate).toEqual(a.LastExecutionDate);
      expect(d.Date).toBeInstanceOf(Date);
      expect(d.LastUpdateAssociationDate).toBeInstanceOf(Date);
      expect(d.LastUpdateAssociationDate!.getTime()).toBeGreaterThanOrEqual(d.Date!.getTime());
      expect(d.Status).toMatchObject({ Date: expect.any(Date), Name: a.Overview?.Status, Message: expect.any(String) });
      expect(JSON.parse(d.Status?.AdditionalInfo ?? "")).toEqual({
        detailedStatus: a.Overview?.DetailedStatus,
        instanceAssociationStatusAggregatedCount: a.Overview?.AssociationStatusAggregatedCount,
      });
      if (a.LastExecutionDate === undefined) {
        expect(d.LastSuccessfulExecutionDate).toBeUndefined();
      } else {
        expect(d.Date!.getTime()).toBeLessThan(a.LastExecutionDate.getTime());
        if (d.LastSuccessfulExecutionDate !== undefined) {
          withSuccess++;
          expect(d.LastSuccessfulExecutionDate).toBeInstanceOf(Date);
          expect(d.LastSuccessfulExecutionDate.getTime()).toBeLessThanOrEqual(a.LastExecutionDate.getTime());
        }
        if (a.Overview?.Status === "Success") expect(d.LastSuccessfulExecutionDate).toEqual(a.LastExecutionDate);
        if (a.Overview?.Status === "Failed") expect(d.LastSuccessfulExecutionDate?.getTime() ?? 0).toBeLessThan(a.LastExecutionDate.getTime());
      }
    }
    expect(withSuccess).toBeGreaterThan(COUNT * 0.6);
    expect(server.sim.callCount("DescribeAssociation", SCOPE)).toBe(COUNT);
    expect(server.sim.callCount("ListAssociations", SCOPE)).toBe(0);
  });

  it("gives most failed associations an earlier successful run and plausible details", async () => {
    const failed = seeded().failed;
    const described = await Promise.all(failed.map((id) => describeOne(id)));
    expect(described.filter((d) => d.LastSuccessfulExecutionDate !== undefined).length).toBeGreaterThan(failed.length * 0.5);
    const all = await Promise.all(listed.slice(0, 100).map((a) => describeOne(a.AssociationId ?? "")));
    const severities = new Set(all.map((d) => d.ComplianceSeverity));
    expect(severities.size).toBeGreaterThanOrEqual(3);
    expect(all.some((d) => (d.CalendarNames ?? []).length > 0)).toBe(true);
    expect(all.some((d) => d.ApplyOnlyAtCronInterval === true)).toBe(true);
    expect(all.every((d) => d.ApplyOnlyAtCronInterval !== true || d.ScheduleExpression?.startsWith("cron("))).toBe(true);
  });

  it("finds a legacy association by Name and InstanceId, and honours AssociationVersion", async () => {
    const legacy = listed.find((a) => a.InstanceId !== undefined);
    expect(legacy).toBeDefined();
    const d = (await client.send(new DescribeAssociationCommand({ Name: legacy!.Name, InstanceId: legacy!.InstanceId }))).AssociationDescription;
    expect(d?.AssociationId).toBe(legacy!.AssociationId);

    const id = legacy!.AssociationId;
    const current = legacy!.AssociationVersion ?? "1";
    const latest = await client.send(new DescribeAssociationCommand({ AssociationId: id, AssociationVersion: "$LATEST" }));
    expect(latest.AssociationDescription?.AssociationVersion).toBe(current);
    const err = await rejection(client.send(new DescribeAssociationCommand({ AssociationId: id, AssociationVersion: String(Number(current) + 1) })));
    expect(err.name).toBe("InvalidAssociationVersion");
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  it("answers an unknown association with AssociationDoesNotExist", async () => {
    const err = await rejection(client.send(new DescribeAssociationCommand({ AssociationId: "00000000-0000-4000-8000-00000000dead" })));
    expect(err.name).toBe("AssociationDoesNotExist");
    expect((err as { $fault?: string }).$fault).toBe("client");
    expect(err.$metadata?.httpStatusCode).toBe(400);
    const byName = await rejection(client.send(new DescribeAssociationCommand({ Name: "AWS-RunPatchBaseline", InstanceId: "i-0123456789abcdef0" })));
    expect(byName.name).toBe("AssociationDoesNotExist");
    const bad = await rejection(client.send(new DescribeAssociationCommand({ AssociationId: "not-an-id" })));
    expect(bad.name).toBe("ValidationException");
  });

  it("is scoped by region and account like ListAssociations", async () => {
    const id = listed[0]!.AssociationId ?? "";
    const other = ssmClient(server.url, "us-west-2");
    const otherAccount = ssmClient(server.url, REGION, "AKIDOTHERACCOUNT");
    server.sim.mapAccessKey("AKIDOTHERACCOUNT", "210987654321");
    try {
      expect((await rejection(other.send(new DescribeAssociationCommand({ AssociationId: id })))).name).toBe("AssociationDoesNotExist");
      expect((await rejection(otherAccount.send(new ListTagsForResourceCommand({ ResourceType: "Association", ResourceId: id })))).name).toBe(
        "InvalidResourceId",
      );
      expect(server.sim.callCount("DescribeAssociation", { region: "us-west-2" })).toBe(1);
      expect(server.sim.callCount("ListTagsForResource", { region: REGION, accountId: "210987654321" })).toBe(1);
    } finally {
      other.destroy();
      otherAccount.destroy();
    }
  });

  it("is deterministic: the same seed gives the same descriptions, executions and tags", async () => {
    const ids = listed.slice(0, 20).map((a) => a.AssociationId ?? "");
    const first = await Promise.all(ids.map(async (id) => [await describeOne(id), await allExecutions(id), server.sim.associationHistory(SCOPE, id).tags]));
    server.sim.generate(SCOPE, COUNT, SEED);
    const second = await Promise.all(ids.map(async (id) => [await describeOne(id), await allExecutions(id), server.sim.associationHistory(SCOPE, id).tags]));
    expect(second).toEqual(first);
  });
});

describe("DescribeAssociationExecutions through the real SDK", () => {
  it("lists every association's executions newest first, the latest matching ListAssociations", async () => {
    for (const a of listed) {
      const executions = await allExecutions(a.AssociationId ?? "");
      if (a.LastExecutionDate === undefined) {
        expect(executions).toEqual([]);
        continue;
      }
      const [latest] = executions;
      expect(latest).toMatchObject({
        AssociationId: a.AssociationId,
        AssociationVersion: a.AssociationVersion,
        ExecutionId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        Status: a.Overview?.Status,
        DetailedStatus: a.Overview?.DetailedStatus,
        LastExecutionDate: a.LastExecutionDate,
        CreatedTime: expect.any(Date),
        ResourceCountByStatus: expect.stringMatching(/^\{.*\}$/),
      });
      const counts = a.Overview?.AssociationStatusAggregatedCount ?? {};
      const expected = `{${Object.keys(counts)
        .sort()
        .map((k) => `${k}=${counts[k]}`)
        .join(", ")}}`;
      expect(latest?.ResourceCountByStatus).toBe(expected);
      const dates = executions.map((e) => e.LastExecutionDate!.getTime());
      expect(dates).toEqual([...dates].sort((x, y) => y - x));
      expect(new Set(executions.map((e) => e.ExecutionId)).size).toBe(executions.length);
      for (const e of executions) expect(e.CreatedTime!.getTime()).toBeLessThanOrEqual(e.LastExecutionDate!.getTime());
    }
  });

  it("gives recurring associations a history of several runs", async () => {
    const recurring = seeded().onTime.slice(0, 30);
    const lengths = await Promise.all(recurring.map(async (id) => (await allExecutions(id)).length));
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(3);
  });

  it.each([1, 2, 3, 50])("pages with MaxResults %i: all pages are all executions, in max(1, ceil(N/size)) calls", async (size) => {
    const id = seeded().onTime[0]!;
    const all = await allExecutions(id);
    server.sim.resetCounters();
    const paged = await allExecutions(id, size);
    expect(paged).toEqual(all);
    expect(server.sim.callCount("DescribeAssociationExecutions", SCOPE)).toBe(Math.max(1, Math.ceil(all.length / size)));
  });

  it("rejects a bad NextToken, a token of another association, and MaxResults out of 1..50", async () => {
    const [a, b] = seeded().onTime;
    const first = await client.send(new DescribeAssociationExecutionsCommand({ AssociationId: a, MaxResults: 1 }));
    expect(first.NextToken).toEqual(expect.any(String));
    const forged = await rejection(client.send(new DescribeAssociationExecutionsCommand({ AssociationId: a, NextToken: "forged" })));
    expect(forged.name).toBe("InvalidNextToken");
    const crossed = await rejection(client.send(new DescribeAssociationExecutionsCommand({ AssociationId: b, NextToken: first.NextToken })));
    expect(crossed.name).toBe("InvalidNextToken");
    for (const MaxResults of [0, 51]) {
      const err = await rejection(client.send(new DescribeAssociationExecutionsCommand({ AssociationId: a, MaxResults })));
      expect(err.name).toBe("ValidationException");
      expect(err.message).toMatch(/^1 validation error detected: Value '\d+' at 'maxResults' failed to satisfy constraint/);
    }
  });

  it("filters by ExecutionId, Status and CreatedTime", async () => {
    const id = seeded().failed.find((x) => byId(x).LastExecutionDate !== undefined)!;
    const all = await allExecutions(id);
    const latest = all[0]!;
    const byExecution = await client.send(
      new DescribeAssociationExecutionsCommand({ AssociationId: id, Filters: [{ Key: "ExecutionId", Value: latest.ExecutionId, Type: "EQUAL" }] }),
    );
    expect(byExecution.AssociationExecutions).toEqual([latest]);
    const failed = await client.send(new DescribeAssociationExecutionsCommand({ AssociationId: id, Filters: [{ Key: "Status", Value: "Failed", Type: "EQUAL" }] }));
    expect(failed.AssociationExecutions).toEqual(all.filter((e) => e.Status === "Failed"));
    const cutoff = latest.CreatedTime!;
    const before = await client.send(
      new DescribeAssociationExecutionsCommand({ AssociationId: id, Filters: [{ Key: "CreatedTime", Value: cutoff.toISOString(), Type: "LESS_THAN" }] }),
    );
    expect(before.AssociationExecutions).toEqual(all.slice(1));
    const badKey = await rejection(
      client.send(new DescribeAssociationExecutionsCommand({ AssociationId: id, Filters: [{ Key: "Nope" as "Status", Value: "x", Type: "EQUAL" }] })),
    );
    expect(badKey.name).toBe("ValidationException");
  });

  it("answers an unknown association with AssociationDoesNotExist", async () => {
    const err = await rejection(client.send(new DescribeAssociationExecutionsCommand({ AssociationId: "00000000-0000-4000-8000-00000000dead" })));
    expect(err.name).toBe("AssociationDoesNotExist");
  });
});

describe("DescribeAssociationExecutionTargets through the real SDK", () => {
  it("reports exactly the aggregated counts per status, failed ones on realistic instances", async () => {
    const ids = seeded().targetsFailed;
    expect(ids.length).toBeGreaterThan(10);
    for (const id of ids) {
      const a = byId(id);
      const latest = await latestExecution(id);
      const targets = await allTargets(id, latest.ExecutionId ?? "");
      const counts = a.Overview?.AssociationStatusAggregatedCount ?? {};
      expect(targets).toHaveLength(sumCounts(counts));
      for (const [status, n] of Object.entries(counts)) expect(targets.filter((t) => t.Status === status)).toHaveLength(n);
      for (const t of targets) {
        expect(t).toMatchObject({
          AssociationId: id,
          AssociationVersion: a.AssociationVersion,
          ExecutionId: latest.ExecutionId,
          ResourceId: expect.stringMatching(INSTANCE_ID),
          ResourceType: "ManagedInstance",
          LastExecutionDate: expect.any(Date),
          OutputSource: { OutputSourceId: expect.stringMatching(/^[0-9a-f-]{36}$/), OutputSourceType: "RunCommand" },
        });
      }
      expect(new Set(targets.map((t) => t.ResourceId)).size).toBe(targets.length);
      const failed = targets.filter((t) => t.Status === "Failed");
      expect(failed.map((t) => t.DetailedStatus)).toContain(a.Overview?.DetailedStatus);
      for (const t of failed) expect(["Failed", "TimedOut", "Cancelled", "UnsupportedAgent"]).toContain(t.DetailedStatus);
    }
  });

  it("uses the association's own instance ids when it lists them", async () => {
    const a = listed.find((x) => x.Targets?.[0]?.Key === "InstanceIds" && x.Targets[0].Values?.[0] !== "*" && x.LastExecutionDate !== undefined && sumCounts(x.Overview?.AssociationStatusAggregatedCount) > 0)!;
    const targets = await allTargets(a.AssociationId ?? "", (await latestExecution(a.AssociationId ?? "")).ExecutionId ?? "");
    expect(targets.map((t) => t.ResourceId).sort()).toEqual([...(a.Targets?.[0]?.Values ?? [])].sort());
  });

  it("filters by Status, ResourceId and ResourceType", async () => {
    const id = seeded().targetsFailed.find((x) => sumCounts(byId(x).Overview?.AssociationStatusAggregatedCount) > 2)!;
    const executionId = (await latestExecution(id)).ExecutionId ?? "";
    const all = await allTargets(id, executionId);
    const failed = await allTargets(id, executionId, undefined, [{ Key: "Status", Value: "Failed" }]);
    expect(failed).toEqual(all.filter((t) => t.Status === "Failed"));
    expect(failed).toHaveLength(byId(id).Overview?.AssociationStatusAggregatedCount?.Failed ?? -1);
    const one = await allTargets(id, executionId, undefined, [{ Key: "ResourceId", Value: all[1]!.ResourceId! }]);
    expect(one).toEqual([all[1]]);
    expect(await allTargets(id, executionId, undefined, [{ Key: "ResourceType", Value: "ManagedInstance" }])).toEqual(all);
    expect(await allTargets(id, executionId, undefined, [{ Key: "ResourceType", Value: "AWS::EC2::Instance" }])).toEqual([]);
    const bad = await rejection(allTargets(id, executionId, undefined, [{ Key: "Nope" as "Status", Value: "x" }]));
    expect(bad.name).toBe("ValidationException");
  });

  it.each([1, 2, 7, 50])("pages with MaxResults %i: all pages are all targets", async (size) => {
    const id = [...listed]
      .sort((x, y) => sumCounts(y.Overview?.AssociationStatusAggregatedCount) - sumCounts(x.Overview?.AssociationStatusAggregatedCount))
      .find((x) => x.LastExecutionDate !== undefined)!.AssociationId!;
    const executionId = (await latestExecution(id)).ExecutionId ?? "";
    const all = await allTargets(id, executionId);
    expect(all.length).toBeGreaterThan(20);
    server.sim.resetCounters();
    expect(await allTargets(id, executionId, size)).toEqual(all);
    expect(server.sim.callCount("DescribeAssociationExecutionTargets", SCOPE)).toBe(Math.max(1, Math.ceil(all.length / size)));
  });

  it("answers unknown executions, associations and bad tokens with the AWS errors", async () => {
    const id = seeded().targetsFailed[0]!;
    const executionId = (await latestExecution(id)).ExecutionId ?? "";
    const noExecution = await rejection(
      client.send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: id, ExecutionId: "00000000-0000-4000-8000-00000000beef" })),
    );
    expect(noExecution.name).toBe("AssociationExecutionDoesNotExist");
    expect(noExecution.$metadata?.httpStatusCode).toBe(400);
    const noAssociation = await rejection(
      client.send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: "00000000-0000-4000-8000-00000000dead", ExecutionId: executionId })),
    );
    expect(noAssociation.name).toBe("AssociationDoesNotExist");
    const badToken = await rejection(
      client.send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: id, ExecutionId: executionId, NextToken: "x.y" })),
    );
    expect(badToken.name).toBe("InvalidNextToken");
  });

  it("keeps the targets of older executions", async () => {
    const id = seeded().onTime.find((x) => sumCounts(byId(x).Overview?.AssociationStatusAggregatedCount) > 0)!;
    const executions = await allExecutions(id);
    const older = executions[executions.length - 1]!;
    const targets = await allTargets(id, older.ExecutionId ?? "");
    expect(targets.length).toBe(sumCounts(byId(id).Overview?.AssociationStatusAggregatedCount));
  });
});

describe("ListTagsForResource through the real SDK", () => {
  it("tags most associations with team, owner and env", async () => {
    const tagLists = await Promise.all(
      listed.map(async (a) => (await client.send(new ListTagsForResourceCommand({ ResourceType: "Association", ResourceId: a.AssociationId }))).TagList),
    );
    for (const tags of tagLists) {
      expect(tags).toEqual(expect.any(Array));
      for (const t of tags ?? []) expect(t).toEqual({ Key: expect.any(String), Value: expect.any(String) });
    }
    const tagged = tagLists.filter((tags) => ["team", "owner", "env"].every((k) => tags?.some((t) => t.Key === k)));
    expect(tagged.length).toBeGreaterThan(COUNT * 0.7);
    expect(tagged.length).toBeLessThan(COUNT);
    expect(tagLists.some((tags) => tags?.length === 0)).toBe(true);
    expect(server.sim.callCount("ListTagsForResource", SCOPE)).toBe(COUNT);
  });

  it("takes env from the association's Environment tag target", async () => {
    const a = listed.find((x) => x.Targets?.[0]?.Key === "tag:Environment")!;
    server.sim.setTags(SCOPE, a.AssociationId ?? "", [{ Key: "team", Value: "sre" }]);
    const out = await client.send(new ListTagsForResourceCommand({ ResourceType: "Association", ResourceId: a.AssociationId }));
    expect(out.TagList).toEqual([{ Key: "team", Value: "sre" }]);
  });

  it("answers a wrong ResourceType, an unknown id and an invalid type with the AWS errors", async () => {
    const id = listed[0]!.AssociationId;
    const wrongType = await rejection(client.send(new ListTagsForResourceCommand({ ResourceType: "Document", ResourceId: id })));
    expect(wrongType.name).toBe("InvalidResourceType");
    expect(wrongType.$metadata?.httpStatusCode).toBe(400);
    const unknown = await rejection(client.send(new ListTagsForResourceCommand({ ResourceType: "Association", ResourceId: "00000000-0000-4000-8000-00000000dead" })));
    expect(unknown.name).toBe("InvalidResourceId");
    const invalid = await rejection(client.send(new ListTagsForResourceCommand({ ResourceType: "Bucket" as "Association", ResourceId: id })));
    expect(invalid.name).toBe("ValidationException");
  });
});

describe("Describe* follow the simulator's changes", () => {
  it("a flip to Failed is a new newest execution with failed targets", async () => {
    const id = seeded().onTime.find((x) => byId(x).Overview?.Status === "Success" && sumCounts(byId(x).Overview?.AssociationStatusAggregatedCount) >= 2)!;
    const before = await allExecutions(id);
    const successBefore = (await describeOne(id)).LastSuccessfulExecutionDate;
    clock = NOW + 60_000;
    const changed = server.sim.setStatus(SCOPE, id, "Failed", "UnsupportedAgent");

    const after = await allExecutions(id);
    expect(after).toHaveLength(before.length + 1);
    expect(after.slice(1)).toEqual(before);
    expect(after[0]).toMatchObject({ Status: "Failed", DetailedStatus: "UnsupportedAgent" });
    expect(after[0]!.LastExecutionDate!.getTime()).toBe(NOW + 60_000);
    const failed = await allTargets(id, after[0]!.ExecutionId ?? "", undefined, [{ Key: "Status", Value: "Failed" }]);
    expect(failed).toHaveLength(changed.Overview?.AssociationStatusAggregatedCount?.Failed ?? -1);
    expect(failed[0]?.DetailedStatus).toBe("UnsupportedAgent");
    const d = await describeOne(id);
    expect(d.Status?.Name).toBe("Failed");
    expect(d.LastSuccessfulExecutionDate).toEqual(successBefore);
  });

  it("two flips between reads are two executions; churn and runDue move the latest along", async () => {
    const id = seeded().onTime.find((x) => byId(x).Overview?.Status === "Success")!;
    const before = await allExecutions(id);
    clock = NOW + 1000;
    server.sim.setStatus(SCOPE, id, "Failed");
    clock = NOW + 2000;
    server.sim.setStatus(SCOPE, id, "Success");
    const after = await allExecutions(id);
    expect(after.map((e) => e.Status).slice(0, 2)).toEqual(["Success", "Failed"]);
    expect(after).toHaveLength(before.length + 2);
    expect((await describeOne(id)).LastSuccessfulExecutionDate?.getTime()).toBe(NOW + 2000);

    clock = NOW + 3 * 3600_000;
    const churned = server.sim.churn(SCOPE, 20, () => 0.3);
    for (const c of churned) {
      const latest = await latestExecution(c.AssociationId);
      expect(latest.Status).toBe(c.Overview?.Status);
      expect(latest.LastExecutionDate!.getTime()).toBe(c.LastExecutionDate! * 1000);
    }
    clock = NOW + 3 * 86_400_000;
    const ran = server.sim.runDue(SCOPE);
    expect(ran.length).toBeGreaterThan(0);
    for (const r of ran.slice(0, 20)) {
      const d = await describeOne(r.AssociationId);
      expect(d.LastExecutionDate!.getTime()).toBe(r.LastExecutionDate! * 1000);
      expect((await latestExecution(r.AssociationId)).LastExecutionDate).toEqual(d.LastExecutionDate);
    }
  });

  it("makeOverdue drops the runs after the new LastExecutionDate; delete makes it unknown", async () => {
    const id = seeded().onTime.find((x) => byId(x).ScheduleExpression?.startsWith("cron(0 4"))!;
    await allExecutions(id);
    const overdue = server.sim.makeOverdue(SCOPE, id);
    const after = await allExecutions(id);
    expect(after[0]!.LastExecutionDate!.getTime()).toBe(overdue.LastExecutionDate! * 1000);
    expect(after.every((e) => e.LastExecutionDate!.getTime() <= overdue.LastExecutionDate! * 1000)).toBe(true);

    server.sim.deleteAssociation(SCOPE, id);
    expect((await rejection(describeOne(id))).name).toBe("AssociationDoesNotExist");
    expect((await rejection(allExecutions(id))).name).toBe("AssociationDoesNotExist");
    expect((await rejection(client.send(new ListTagsForResourceCommand({ ResourceType: "Association", ResourceId: id })))).name).toBe("InvalidResourceId");
  });

  it("a version change moves LastUpdateAssociationDate", async () => {
    const id = listed[0]!.AssociationId ?? "";
    const before = await describeOne(id);
    clock = NOW + 5000;
    server.sim.updateAssociation(SCOPE, id, { AssociationVersion: String(Number(before.AssociationVersion) + 1) });
    const after = await describeOne(id);
    expect(after.AssociationVersion).toBe(String(Number(before.AssociationVersion) + 1));
    expect(after.LastUpdateAssociationDate?.getTime()).toBe(NOW + 5000);
    expect(after.Date).toEqual(before.Date);
  });
});

describe("counters and faults per operation", () => {
  it("counts each operation apart and reports them on /_sim/calls", async () => {
    const id = seeded().targetsFailed[0]!;
    await describeOne(id);
    await describeOne(id);
    const latest = await latestExecution(id);
    await client.send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: id, ExecutionId: latest.ExecutionId }));
    await client.send(new ListTagsForResourceCommand({ ResourceType: "Association", ResourceId: id }));
    await client.send(new ListAssociationsCommand({ MaxResults: 1 }));

    const res = await fetch(`${server.url}/_sim/calls`);
    expect(((await res.json()) as { total: Record<string, number> }).total).toEqual({
      ListAssociations: 1,
      DescribeAssociation: 2,
      DescribeAssociationExecutions: 1,
      DescribeAssociationExecutionTargets: 1,
      ListTagsForResource: 1,
      GetCallerIdentity: 0,
      AssumeRole: 0,
      ListRoots: 0,
      ListAccounts: 0,
      ListAccountsForParent: 0,
      ListChildren: 0,
      DescribeOrganization: 0,
    });
  });

  it("hits only the operation a fault names", async () => {
    const id = listed[0]!.AssociationId ?? "";
    server.sim.injectFault({ kind: "ThrottlingException", count: 1, operation: "DescribeAssociation", region: REGION });
    await client.send(new ListTagsForResourceCommand({ ResourceType: "Association", ResourceId: id }));
    await client.send(new ListAssociationsCommand({ MaxResults: 1 }));
    const err = await rejection(describeOne(id));
    expect(err.name).toBe("ThrottlingException");
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect((await describeOne(id)).AssociationId).toBe(id);
    expect(server.sim.callCount("DescribeAssociation", SCOPE)).toBe(2);
  });

  it("applies transport faults and AccessDenied with the operation's name", async () => {
    const id = seeded().onTime[0]!;
    server.sim.injectFault({ kind: "AccessDeniedException", count: 1, operation: "DescribeAssociationExecutions" });
    const denied = await rejection(allExecutions(id));
    expect(denied.name).toBe("AccessDeniedException");
    expect(denied.message).toContain("ssm:DescribeAssociationExecutions");
    server.sim.injectFault({ kind: "http503", count: 1, operation: "ListTagsForResource" });
    const unavailable = await rejection(client.send(new ListTagsForResourceCommand({ ResourceType: "Association", ResourceId: id })));
    expect(unavailable.$metadata?.httpStatusCode).toBe(503);
    expect(() => server.sim.injectFault({ kind: "truncatedJson", count: 1, operation: "DescribeAssociation" })).toThrow(RangeError);
  });
});
