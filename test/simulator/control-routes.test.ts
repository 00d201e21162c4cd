import { ListAssociationsCommand } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import type { WireAssociation } from "../../dev/simulator/types.js";
import { association, rejection, ssmClient } from "./helpers.js";

let server: RunningSimulator;

beforeAll(async () => {
  server = await startSimulator();
});
afterAll(() => server.close());
beforeEach(() => {
  server.sim.clearFaults();
  server.sim.resetCounters();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

describe("control API over HTTP", () => {
  it("puts and gets associations per region and account", async () => {
    const list = [association(1), association(2, { AssociationName: "named" })];

    expect(await call("PUT", "/_sim/associations?region=ap-south-1", list)).toEqual({ status: 200, json: { count: 2 } });
    expect(await call("PUT", "/_sim/associations?region=ap-south-1&account=222222222222", [association(3)])).toMatchObject({ status: 200 });

    expect(await call("GET", "/_sim/associations?region=ap-south-1")).toEqual({ status: 200, json: list });
    expect((await call("GET", "/_sim/associations?region=ap-south-1&account=222222222222")).json).toEqual([association(3)]);
    expect(server.sim.getAssociations({ region: "ap-south-1" })).toEqual(list);
  });

  it("generates seeded data that the SDK then lists", async () => {
    const { status, json } = await call("POST", "/_sim/generate?region=eu-central-1", { count: 75, seed: 7 });
    const generated = (json as { count: number; associations: WireAssociation[] }).associations;
    const client = ssmClient(server.url, "eu-central-1");

    const first = await client.send(new ListAssociationsCommand({}));

    expect(status).toBe(200);
    expect((json as { count: number }).count).toBe(75);
    expect(first.Associations?.map((a) => a.AssociationId)).toEqual(generated.slice(0, 50).map((a) => a.AssociationId));
    client.destroy();
  });

  it("sets a status and deletes an association", async () => {
    await call("PUT", "/_sim/associations?region=sa-east-1", [association(1), association(2)]);
    const id = association(1).AssociationId;

    const updated = await call("POST", `/_sim/associations/${id}/status?region=sa-east-1`, { status: "Failed", detailedStatus: "TimedOut" });
    expect(updated.status).toBe(200);
    expect((updated.json as WireAssociation).Overview).toEqual({
      Status: "Failed",
      DetailedStatus: "TimedOut",
      AssociationStatusAggregatedCount: { Failed: 1, Success: 1 },
    });

    expect(await call("DELETE", `/_sim/associations/${id}?region=sa-east-1`)).toEqual({ status: 200, json: { deleted: id } });
    expect((await call("DELETE", `/_sim/associations/${id}?region=sa-east-1`)).status).toBe(404);
    expect((await call("POST", `/_sim/associations/${id}/status?region=sa-east-1`, { status: "Success" })).status).toBe(404);
    expect(server.sim.getAssociations({ region: "sa-east-1" }).map((a) => a.AssociationId)).toEqual([association(2).AssociationId]);
  });

  it("injects faults (until cleared when count is omitted) and clears them", async () => {
    const client = ssmClient(server.url, "ca-central-1");
    expect(await call("POST", "/_sim/faults", { kind: "ThrottlingException", region: "ca-central-1" })).toEqual({
      status: 201,
      json: { kind: "ThrottlingException", region: "ca-central-1", count: "until-cleared" },
    });
    await call("POST", "/_sim/faults", { kind: "InternalServerError", count: 1, operation: "GetCallerIdentity" });
    expect((await call("GET", "/_sim/faults")).json).toHaveLength(2);

    for (let i = 0; i < 3; i++) expect((await rejection(client.send(new ListAssociationsCommand({})))).name).toBe("ThrottlingException");
    expect(await call("DELETE", "/_sim/faults")).toEqual({ status: 200, json: { cleared: true } });
    await expect(client.send(new ListAssociationsCommand({}))).resolves.toBeDefined();
    client.destroy();
  });

  it("injects the new kinds with skip and delayMs, and lists what is left of them", async () => {
    await call("PUT", "/_sim/associations?region=me-south-1", [association(1)]);
    expect(await call("POST", "/_sim/faults", { kind: "slow", count: 1, delayMs: 40, skip: 1, region: "me-south-1" })).toEqual({
      status: 201,
      json: { kind: "slow", count: 1, delayMs: 40, skip: 1, region: "me-south-1" },
    });
    expect(await call("POST", "/_sim/faults", { kind: "notJson", operation: "ListAssociations", skip: 2 })).toMatchObject({ status: 201 });
    const client = ssmClient(server.url, "me-south-1");

    await client.send(new ListAssociationsCommand({}));
    expect((await call("GET", "/_sim/faults")).json).toEqual([
      { kind: "slow", count: 1, delayMs: 40, skip: 0, region: "me-south-1" },
      { kind: "notJson", count: "until-cleared", operation: "ListAssociations", skip: 1 },
    ]);
    const started = Date.now();
    await client.send(new ListAssociationsCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect((await rejection(client.send(new ListAssociationsCommand({})))).name).toBe("SyntaxError");
    client.destroy();
  });

  it("reports and resets call counts", async () => {
    const client = ssmClient(server.url, "us-west-2");
    await client.send(new ListAssociationsCommand({}));
    await client.send(new ListAssociationsCommand({}));

    expect((await call("GET", "/_sim/calls")).json).toEqual({
      total: {
        ListAssociations: 2,
        DescribeAssociation: 0,
        DescribeAssociationExecutions: 0,
        DescribeAssociationExecutionTargets: 0,
        ListTagsForResource: 0,
        GetCallerIdentity: 0,
        AssumeRole: 0,
        ListRoots: 0,
        ListAccounts: 0,
        ListAccountsForParent: 0,
        ListChildren: 0,
        DescribeOrganization: 0,
      },
      calls: [{ operation: "ListAssociations", accountId: "123456789012", region: "us-west-2", count: 2 }],
    });
    expect(await call("POST", "/_sim/calls/reset")).toEqual({ status: 200, json: { reset: true } });
    expect(((await call("GET", "/_sim/calls")).json as { calls: unknown[] }).calls).toEqual([]);
    client.destroy();
  });

  it("maps access keys to accounts and churns", async () => {
    expect(await call("POST", "/_sim/access-keys", { accessKeyId: "AKIDCTL", accountId: "444444444444" })).toMatchObject({ status: 200 });
    expect(server.sim.accountFor("AKIDCTL")).toBe("444444444444");

    await call("POST", "/_sim/generate?region=us-east-2", { count: 10, seed: 1 });
    const churned = await call("POST", "/_sim/churn?region=us-east-2", { count: 3, seed: 5 });
    expect((churned.json as { changed: unknown[] }).changed).toHaveLength(3);
  });

  it("reports what generate seeded, makes one overdue, and runs what came due", async () => {
    const generated = (await call("POST", "/_sim/generate?region=ca-central-1", { count: 40, seed: 3 })).json as { associations: WireAssociation[] };
    const seeded = await call("GET", "/_sim/seeded?region=ca-central-1");
    expect(seeded).toEqual({ status: 200, json: server.sim.seededConditions({ region: "ca-central-1" }) });
    const { onTime } = seeded.json as { onTime: string[] };
    const daily = generated.associations.find((a) => onTime.includes(a.AssociationId) && /^rate\((1 day|7 days|12 hours)\)$/.test(a.ScheduleExpression ?? ""));
    if (daily === undefined) throw new Error("no on-time rate() association with a long period in the seed");

    const made = await call("POST", `/_sim/associations/${daily.AssociationId}/overdue?region=ca-central-1`);
    expect(made.status).toBe(200);
    expect((made.json as WireAssociation).LastExecutionDate).toBeLessThan(daily.LastExecutionDate ?? 0);
    expect(((await call("GET", "/_sim/seeded?region=ca-central-1")).json as { overdue: string[] }).overdue).toContain(daily.AssociationId);
    // Whatever came due since (a slot that came up moments before generate), never the overdue one.
    const ran = await call("POST", "/_sim/run-due?region=ca-central-1");
    expect(ran.status).toBe(200);
    expect((ran.json as { ran: WireAssociation[] }).ran.map((a) => a.AssociationId)).not.toContain(daily.AssociationId);

    expect((await call("GET", "/_sim/seeded?region=nowhere-1")).status).toBe(404);
    expect((await call("POST", "/_sim/associations/nope/overdue?region=ca-central-1")).status).toBe(404);
    await call("PUT", "/_sim/associations?region=me-south-1", [association(9, { ScheduleExpression: undefined, LastExecutionDate: 1 })]);
    const refused = await call("POST", `/_sim/associations/${association(9).AssociationId}/overdue?region=me-south-1`);
    expect(refused.status).toBe(400);
    expect((refused.json as { error: string }).error).toMatch(/unscheduled\) cannot miss a run by 2 h/);
  });

  it.each<[string, string, unknown, RegExp]>([
    ["GET", "/_sim/associations", undefined, /region' is required/],
    ["GET", "/_sim/associations?region=x&account=12", undefined, /12 digits/],
    ["PUT", "/_sim/associations?region=x", "{not json", /not valid JSON/],
    ["PUT", "/_sim/associations?region=x", [{ Name: "AWS-RunPatchBaseline" }], /0\.AssociationId/],
    ["PUT", "/_sim/associations?region=x", [{ ...association(1), Status: "Failed" }], /Unrecognized key/],
    ["PUT", "/_sim/associations?region=x", [association(1), association(1)], /duplicate AssociationId/],
    ["POST", "/_sim/generate?region=x", { count: -1 }, /count/],
    ["POST", "/_sim/faults", { kind: "Boom" }, /kind/],
    ["POST", "/_sim/faults", { kind: "http500", count: 0 }, /count/],
    ["POST", "/_sim/faults", { kind: "http500", skip: -1 }, /skip/],
    ["POST", "/_sim/faults", { kind: "http500", delayMs: 5 }, /delayMs only applies to the "slow"/],
    ["POST", "/_sim/faults", { kind: "protoKeys", operation: "GetCallerIdentity" }, /only applies to ListAssociations/],
    ["POST", "/_sim/associations/abc/status?region=x", {}, /status/],
  ])("rejects %s %s with 400 and a message", async (method, path, body, message) => {
    const { status, json } = await call(method, path, body);
    expect(status).toBe(400);
    expect((json as { error: string }).error).toMatch(message);
  });

  it("answers unknown routes with 404 and wrong methods with 405", async () => {
    expect((await call("GET", "/_sim/nope")).status).toBe(404);
    expect((await call("DELETE", "/_sim/calls")).status).toBe(405);
    expect(await call("GET", "/_sim/health")).toEqual({ status: 200, json: { ok: true } });
  });
});
