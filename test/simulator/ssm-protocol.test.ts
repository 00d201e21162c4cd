import {
  ListAssociationsCommand,
  paginateListAssociations,
  SSMClient,
  type AssociationFilter,
  type ListAssociationsCommandInput,
} from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import type { RunningSimulator } from "../../dev/simulator/server.js";
import { association, rejection, ssmClient, useSimulatorWithClient } from "./helpers.js";

const REGION = "us-east-1";
let server: RunningSimulator;
let client: SSMClient;

useSimulatorWithClient(REGION, () => [], (env) => {
  ({ server, client } = env);
});

async function listAll(input: ListAssociationsCommandInput = {}, pageSize = 50): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListAssociations({ client, pageSize }, input)) {
    for (const a of page.Associations ?? []) ids.push(a.AssociationId ?? "");
  }
  return ids;
}

describe("ListAssociations paging through the real SDK", () => {
  it.each([0, 1, 50, 51, 120])("lists %i associations in max(1, ceil(N/50)) calls", async (n) => {
    const list = Array.from({ length: n }, (_, i) => association(i));
    server.sim.setAssociations({ region: REGION }, list);

    const ids = await listAll();

    expect(ids).toEqual(list.map((a) => a.AssociationId));
    expect(server.sim.callCount("ListAssociations", { region: REGION })).toBe(Math.max(1, Math.ceil(n / 50)));
  });

  it("pages by 50 when MaxResults is absent and omits NextToken on the last page", async () => {
    server.sim.setAssociations({ region: REGION }, Array.from({ length: 100 }, (_, i) => association(i)));

    const first = await client.send(new ListAssociationsCommand({}));
    const second = await client.send(new ListAssociationsCommand({ NextToken: first.NextToken }));

    expect(first.Associations).toHaveLength(50);
    expect(first.NextToken).toEqual(expect.any(String));
    expect(second.Associations).toHaveLength(50);
    expect(second.NextToken).toBeUndefined();
  });

  it("answers N=0 with an empty list, not a missing one", async () => {
    const out = await client.send(new ListAssociationsCommand({}));
    expect(out.Associations).toEqual([]);
    expect(out.NextToken).toBeUndefined();
  });

  it("honours small page sizes exactly", async () => {
    server.sim.setAssociations({ region: REGION }, Array.from({ length: 7 }, (_, i) => association(i)));
    expect(await listAll({}, 3)).toHaveLength(7);
    expect(server.sim.callCount("ListAssociations")).toBe(3);
  });

  it("neither skips nor repeats when an association is deleted between pages", async () => {
    const list = Array.from({ length: 6 }, (_, i) => association(i));
    server.sim.setAssociations({ region: REGION }, list);

    const first = await client.send(new ListAssociationsCommand({ MaxResults: 3 }));
    server.sim.deleteAssociation({ region: REGION }, list[1]!.AssociationId);
    server.sim.deleteAssociation({ region: REGION }, list[3]!.AssociationId);
    const second = await client.send(new ListAssociationsCommand({ MaxResults: 3, NextToken: first.NextToken }));

    expect(second.Associations?.map((a) => a.AssociationId)).toEqual([list[4]!.AssociationId, list[5]!.AssociationId]);
    expect(second.NextToken).toBeUndefined();
  });

  it("shows an association added between pages on a later page", async () => {
    server.sim.setAssociations({ region: REGION }, Array.from({ length: 3 }, (_, i) => association(i)));

    const first = await client.send(new ListAssociationsCommand({ MaxResults: 3 }));
    expect(first.NextToken).toBeUndefined();
    const again = await client.send(new ListAssociationsCommand({ MaxResults: 2 }));
    server.sim.addAssociation({ region: REGION }, association(99));
    const rest = await client.send(new ListAssociationsCommand({ MaxResults: 2, NextToken: again.NextToken }));

    expect(rest.Associations?.map((a) => a.AssociationId)).toEqual([association(2).AssociationId, association(99).AssociationId]);
  });

  it("decodes the wire shape into the SDK's types", async () => {
    server.sim.setAssociations({ region: REGION }, [
      association(1, {
        AssociationName: "patch-prod",
        LastExecutionDate: 1_700_000_000.25,
        ScheduleOffset: 2,
        Duration: 4,
        Overview: { Status: "Failed", DetailedStatus: "TimedOut", AssociationStatusAggregatedCount: { Failed: 1, Success: 3 } },
        TargetMaps: [{ InstanceIds: ["i-0123456789abcdef0"] }],
      }),
    ]);

    const [a] = (await client.send(new ListAssociationsCommand({}))).Associations ?? [];

    expect(a?.LastExecutionDate).toEqual(new Date(1_700_000_000_250));
    expect(a).toMatchObject({
      AssociationName: "patch-prod",
      ScheduleOffset: 2,
      Duration: 4,
      Overview: { Status: "Failed", DetailedStatus: "TimedOut", AssociationStatusAggregatedCount: { Failed: 1, Success: 3 } },
      TargetMaps: [{ InstanceIds: ["i-0123456789abcdef0"] }],
    });
  });
});

describe("ListAssociations validation", () => {
  it.each([
    [0, "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"],
    [51, "Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50"],
  ])("rejects MaxResults %i with ValidationException", async (maxResults, constraint) => {
    const err = await rejection(client.send(new ListAssociationsCommand({ MaxResults: maxResults })));
    expect(err.name).toBe("ValidationException");
    expect(err.message).toBe(`1 validation error detected: ${constraint}`);
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  it.each(["garbage", "eyJ2IjoxfQ.AAAAAAAAAAAA", ""])("rejects NextToken %j with InvalidNextToken", async (token) => {
    const err = await rejection(client.send(new ListAssociationsCommand({ NextToken: token })));
    expect(err.name).toBe("InvalidNextToken");
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  it("rejects a token from another region", async () => {
    server.sim.setAssociations({ region: REGION }, Array.from({ length: 3 }, (_, i) => association(i)));
    const { NextToken } = await client.send(new ListAssociationsCommand({ MaxResults: 1 }));
    const other = ssmClient(server.url, "eu-west-1");

    const err = await rejection(other.send(new ListAssociationsCommand({ NextToken })));

    expect(err.name).toBe("InvalidNextToken");
    other.destroy();
  });

  it("expires tokens when the data set is replaced", async () => {
    server.sim.setAssociations({ region: REGION }, Array.from({ length: 3 }, (_, i) => association(i)));
    const { NextToken } = await client.send(new ListAssociationsCommand({ MaxResults: 1 }));
    server.sim.setAssociations({ region: REGION }, Array.from({ length: 3 }, (_, i) => association(i)));

    const err = await rejection(client.send(new ListAssociationsCommand({ NextToken })));

    expect(err.name).toBe("InvalidNextToken");
  });

  it("rejects unknown filter keys, empty filter lists and empty values", async () => {
    const bogus = await rejection(
      client.send(new ListAssociationsCommand({ AssociationFilterList: [{ key: "Bogus" as never, value: "x" }] })),
    );
    expect(bogus.name).toBe("ValidationException");
    expect(bogus.message).toContain("Value 'Bogus' at 'associationFilterList.1.member.key' failed to satisfy constraint");

    const empty = await rejection(client.send(new ListAssociationsCommand({ AssociationFilterList: [] })));
    expect(empty.name).toBe("ValidationException");

    const noValue = await rejection(
      client.send(new ListAssociationsCommand({ AssociationFilterList: [{ key: "Name", value: "" }] })),
    );
    expect(noValue.message).toContain("'associationFilterList.1.member.value'");
  });

  it("rejects a LastExecuted* value that is not a timestamp", async () => {
    const err = await rejection(
      client.send(new ListAssociationsCommand({ AssociationFilterList: [{ key: "LastExecutedAfter", value: "yesterday" }] })),
    );
    expect(err.name).toBe("ValidationException");
  });
});

describe("ListAssociations filters", () => {
  const T = (iso: string) => Date.parse(iso) / 1000;
  const data = [
    association(1, {
      Name: "AWS-RunPatchBaseline",
      AssociationName: "patch-prod",
      LastExecutionDate: T("2024-03-01T00:00:00Z"),
      Targets: [{ Key: "InstanceIds", Values: ["i-0aaaaaaaaaaaaaaaa", "i-0bbbbbbbbbbbbbbbb"] }],
    }),
    association(2, {
      Name: "AWS-GatherSoftwareInventory",
      AssociationName: "inventory",
      LastExecutionDate: T("2024-03-10T00:00:00Z"),
      Overview: { Status: "Failed", DetailedStatus: "Failed", AssociationStatusAggregatedCount: { Failed: 1 } },
      Targets: [
        { Key: "resource-groups:Name", Values: ["rg-prod-web"] },
        { Key: "resource-groups:ResourceTypeFilters", Values: ["AWS::EC2::Instance"] },
      ],
    }),
    association(3, {
      Name: "AWS-RunPatchBaseline",
      Overview: { Status: "Pending", DetailedStatus: "Creating", AssociationStatusAggregatedCount: {} },
    }),
    // Legacy association: InstanceId instead of Targets.
    association(4, { Name: "Acme-HardenSshd", InstanceId: "i-0cccccccccccccccc", Targets: undefined, LastExecutionDate: T("2024-02-01T00:00:00Z") }),
  ];
  const idsOf = (...n: number[]) => n.map((i) => data[i - 1]!.AssociationId);

  it.each<[string, AssociationFilter[], number[]]>([
    ["Name", [{ key: "Name", value: "AWS-RunPatchBaseline" }], [1, 3]],
    ["AssociationId", [{ key: "AssociationId", value: association(2).AssociationId }], [2]],
    ["AssociationName", [{ key: "AssociationName", value: "inventory" }], [2]],
    ["AssociationStatusName", [{ key: "AssociationStatusName", value: "Success" }], [1, 4]],
    ["LastExecutedBefore", [{ key: "LastExecutedBefore", value: "2024-03-05T00:00:00Z" }], [1, 4]],
    ["LastExecutedAfter", [{ key: "LastExecutedAfter", value: "2024-02-15T00:00:00.000Z" }], [1, 2]],
    ["InstanceId in Targets", [{ key: "InstanceId", value: "i-0bbbbbbbbbbbbbbbb" }], [1]],
    ["legacy InstanceId", [{ key: "InstanceId", value: "i-0cccccccccccccccc" }], [4]],
    ["ResourceGroupName", [{ key: "ResourceGroupName", value: "rg-prod-web" }], [2]],
    ["CloudConnectorId", [{ key: "CloudConnectorId", value: "anything" }], []],
    [
      "AND across entries",
      [
        { key: "Name", value: "AWS-RunPatchBaseline" },
        { key: "AssociationStatusName", value: "Success" },
      ],
      [1],
    ],
  ])("filters by %s", async (_label, filters, expected) => {
    server.sim.setAssociations({ region: REGION }, data);
    expect(await listAll({ AssociationFilterList: filters })).toEqual(idsOf(...expected));
  });

  it("pages exactly over the filtered result", async () => {
    const many = Array.from({ length: 120 }, (_, i) =>
      association(i, { Name: i % 2 === 0 ? "AWS-RunPatchBaseline" : "AWS-UpdateSSMAgent" }),
    );
    server.sim.setAssociations({ region: REGION }, many);

    const ids = await listAll({ AssociationFilterList: [{ key: "Name", value: "AWS-UpdateSSMAgent" }] });

    expect(ids).toHaveLength(60);
    expect(server.sim.callCount("ListAssociations")).toBe(2);
  });
});

describe("faults", () => {
  it.each([
    ["ThrottlingException", 400, "client"],
    ["InternalServerError", 500, "server"],
    ["AccessDeniedException", 400, "client"],
  ] as const)("surfaces %s with status %i", async (kind, status, fault) => {
    server.sim.injectFault({ kind, count: 1 });

    const err = await rejection(client.send(new ListAssociationsCommand({})));

    expect(err.name).toBe(kind);
    expect(err.$metadata?.httpStatusCode).toBe(status);
    expect((err as { $fault?: string }).$fault).toBe(fault);
    // Consumed: the next call succeeds.
    await expect(client.send(new ListAssociationsCommand({}))).resolves.toMatchObject({ Associations: [] });
    expect(server.sim.callCount("ListAssociations")).toBe(2);
  });

  it("answers http500 with a bare, non-JSON 500 the SDK cannot parse", async () => {
    server.sim.injectFault({ kind: "http500", count: 1 });

    const err = await rejection(client.send(new ListAssociationsCommand({})));

    expect(err.$metadata?.httpStatusCode).toBe(500);
    expect(err.name).not.toMatch(/Exception$|InternalServerError/);
  });

  it("fails exactly `count` calls, or until cleared with Infinity", async () => {
    server.sim.injectFault({ kind: "ThrottlingException", count: 2 });
    await rejection(client.send(new ListAssociationsCommand({})));
    await rejection(client.send(new ListAssociationsCommand({})));
    await client.send(new ListAssociationsCommand({}));

    server.sim.injectFault({ kind: "InternalServerError", count: Infinity });
    for (let i = 0; i < 3; i++) expect((await rejection(client.send(new ListAssociationsCommand({})))).name).toBe("InternalServerError");
    server.sim.clearFaults();
    await client.send(new ListAssociationsCommand({}));

    expect(server.sim.callCount("ListAssociations")).toBe(7);
  });

  it("only hits calls matching the fault's region, account and operation", async () => {
    server.sim.mapAccessKey("AKIDOTHERACCOUNT", "210987654321");
    server.sim.injectFault({ kind: "ThrottlingException", count: Infinity, region: "eu-west-1" });
    server.sim.injectFault({ kind: "AccessDeniedException", count: Infinity, accountId: "210987654321" });
    server.sim.injectFault({ kind: "InternalServerError", count: Infinity, operation: "GetCallerIdentity" });
    const eu = ssmClient(server.url, "eu-west-1");
    const other = ssmClient(server.url, REGION, "AKIDOTHERACCOUNT");

    await expect(client.send(new ListAssociationsCommand({}))).resolves.toBeDefined();
    expect((await rejection(eu.send(new ListAssociationsCommand({})))).name).toBe("ThrottlingException");
    expect((await rejection(other.send(new ListAssociationsCommand({})))).name).toBe("AccessDeniedException");
    eu.destroy();
    other.destroy();
  });

  it("lets the SDK retry throttling when retries are on", async () => {
    const retrying = new SSMClient({
      region: REGION,
      endpoint: server.url,
      credentials: { accessKeyId: "AKIDRETRY", secretAccessKey: "x" },
      maxAttempts: 3,
    });
    server.sim.injectFault({ kind: "ThrottlingException", count: 1 });

    const out = await retrying.send(new ListAssociationsCommand({}));

    expect(out.$metadata.attempts).toBe(2);
    expect(server.sim.callCount("ListAssociations")).toBe(2);
    retrying.destroy();
  });
});

describe("accounts, regions and endpoints", () => {
  it("serves each region its own data, chosen by the client's signing region", async () => {
    server.sim.setAssociations({ region: "eu-west-1" }, [association(1, { Name: "Platform-RotateLogs" })]);
    server.sim.setAssociations({ region: REGION }, [association(2), association(3)]);
    const eu = ssmClient(server.url, "eu-west-1");

    expect(await listAll()).toEqual([association(2).AssociationId, association(3).AssociationId]);
    const euOut = await eu.send(new ListAssociationsCommand({}));
    expect(euOut.Associations?.map((a) => a.Name)).toEqual(["Platform-RotateLogs"]);
    expect(server.sim.callCount("ListAssociations", { region: "eu-west-1" })).toBe(1);
    eu.destroy();
  });

  it("serves each account its own data, chosen by the access key", async () => {
    server.sim.mapAccessKey("AKIDACCOUNTB", "222222222222");
    server.sim.setAssociations({ region: REGION, accountId: "222222222222" }, [association(9)]);
    const b = ssmClient(server.url, REGION, "AKIDACCOUNTB");

    const out = await b.send(new ListAssociationsCommand({}));

    expect(out.Associations?.map((a) => a.AssociationId)).toEqual([association(9).AssociationId]);
    expect(server.sim.callCount("ListAssociations", { region: REGION, accountId: "222222222222" })).toBe(1);
    expect(server.sim.callCount("ListAssociations", { region: REGION })).toBe(0);
    b.destroy();
  });

  it("is reachable through AWS_ENDPOINT_URL_SSM", async () => {
    const saved = process.env.AWS_ENDPOINT_URL_SSM;
    process.env.AWS_ENDPOINT_URL_SSM = server.url;
    try {
      const envClient = new SSMClient({
        region: REGION,
        credentials: { accessKeyId: "AKIDENV", secretAccessKey: "x" },
        maxAttempts: 1,
      });
      server.sim.setAssociations({ region: REGION }, [association(5)]);
      const out = await envClient.send(new ListAssociationsCommand({}));
      expect(out.Associations).toHaveLength(1);
      envClient.destroy();
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SSM;
      else process.env.AWS_ENDPOINT_URL_SSM = saved;
    }
  });
});

describe("raw protocol errors", () => {
  const post = (headers: Record<string, string>, body = "{}") =>
    fetch(server.url, { method: "POST", headers: { "content-type": "application/x-amz-json-1.1", ...headers }, body });
  const AUTH = "AWS4-HMAC-SHA256 Credential=AKIDRAW/20240101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=00";

  it("requires a SigV4 Authorization header", async () => {
    const res = await post({ "x-amz-target": "AmazonSSM.ListAssociations" });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
    expect(await res.json()).toEqual({ __type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" });
    expect(server.sim.callCount("ListAssociations")).toBe(0);
  });

  it("answers other SSM operations with UnknownOperationException", async () => {
    const res = await post({ "x-amz-target": "AmazonSSM.DescribeDocument", authorization: AUTH });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    expect(res.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await res.json()) as { __type: string }).__type).toBe("UnknownOperationException");
  });

  it("answers malformed JSON with SerializationException", async () => {
    const res = await post({ "x-amz-target": "AmazonSSM.ListAssociations", authorization: AUTH }, "{nope");
    expect(res.status).toBe(400);
    expect(res.headers.get("x-amzn-errortype")).toBe("SerializationException");
  });

  it("accepts an empty body as an empty request", async () => {
    const res = await post({ "x-amz-target": "AmazonSSM.ListAssociations", authorization: AUTH }, "");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ Associations: [] });
  });
});
