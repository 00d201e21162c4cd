import { ListAssociationsCommand, paginateListAssociations, type SSMClient } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSimulator } from "../../dev/simulator/server.js";
import { BODY_FAULT_KINDS, type BodyFaultKind, type WireAssociation } from "../../dev/simulator/types.js";
import { association, rejection, stsClient, useSimulatorWithClient } from "./helpers.js";
import { rawList } from "./raw-http.js";

const REGION = "us-east-1";
let server: RunningSimulator;
let client: SSMClient;

const DATA: WireAssociation[] = [
  association(1, { Overview: { Status: "Failed", DetailedStatus: "Failed", AssociationStatusAggregatedCount: { Failed: 1, Success: 3 } } }),
  association(2, { LastExecutionDate: 1_700_000_000.5 }),
  association(3, { Overview: { Status: "Pending", DetailedStatus: "Creating" } }),
];

useSimulatorWithClient(REGION, () => DATA, (env) => {
  ({ server, client } = env);
});

/** The page without a fault, then the same request with the fault: both raw. */
async function pageAndFaulted(kind: BodyFaultKind, input: Record<string, unknown> = { MaxResults: 2 }) {
  const real = await rawList(server.url, input);
  server.sim.injectFault({ kind, count: 1 });
  const faulted = await rawList(server.url, input);
  return { real, faulted, page: JSON.parse(real.body) as { Associations: WireAssociation[]; NextToken?: string } };
}

describe("body faults on the wire (status 200)", () => {
  it.each([
    ["html200", "text/html", /^<!DOCTYPE html>\n<html>.*<\/html>\n$/s],
    ["empty200", "application/x-amz-json-1.1", /^$/],
    ["emptyObject200", "application/x-amz-json-1.1", /^\{\}$/],
    ["notJson", "application/x-amz-json-1.1", /^this is not json$/],
    ["wrongTypes", "application/x-amz-json-1.1", /^\{"Associations":"not-a-list","NextToken":42\}$/],
  ] as const)("%s: a fixed body (%s)", async (kind, contentType, body) => {
    server.sim.injectFault({ kind, count: 1 });
    const res = await rawList(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(contentType);
    expect(res.body).toMatch(body);
    expect(Number(res.headers.get("content-length"))).toBe(res.bytes);
  });

  it("truncatedJson: the real page cut in half, Content-Length matching what is sent", async () => {
    const { real, faulted } = await pageAndFaulted("truncatedJson");
    expect(faulted.status).toBe(200);
    expect(faulted.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    expect(faulted.body).toBe(real.body.slice(0, Math.floor(real.body.length / 2)));
    expect(Number(faulted.headers.get("content-length"))).toBe(faulted.bytes);
  });

  it("nonNumericCounts: every count becomes a string, alternating \"abc\" and \"1 2\"", async () => {
    const { faulted, page } = await pageAndFaulted("nonNumericCounts", {});
    expect(faulted.body).toContain('"AssociationStatusAggregatedCount":{"Failed":"abc","Success":"1 2"}');
    expect(faulted.body).toContain('"AssociationStatusAggregatedCount":{"Success":"abc"}');
    const expected = structuredClone(page) as unknown as { Associations: { Overview?: { AssociationStatusAggregatedCount?: unknown } }[] };
    expected.Associations[0]!.Overview!.AssociationStatusAggregatedCount = { Failed: "abc", Success: "1 2" };
    expected.Associations[1]!.Overview!.AssociationStatusAggregatedCount = { Success: "abc" };
    expect(JSON.parse(faulted.body)).toEqual(expected);
  });

  it("protoKeys: literal \"__proto__\" and \"constructor\" keys in every count map", async () => {
    const { faulted, page } = await pageAndFaulted("protoKeys", {});
    expect(faulted.body).toContain('"AssociationStatusAggregatedCount":{"Failed":1,"Success":3,"__proto__":3,"constructor":1}');
    expect(faulted.body).toContain('"AssociationStatusAggregatedCount":{"Success":2,"__proto__":3,"constructor":1}');
    // Association 3 has no count map: nothing added.
    expect(faulted.body.split('"__proto__":3')).toHaveLength(3);
    expect(faulted.body.replaceAll(',"__proto__":3,"constructor":1', "")).toBe(JSON.stringify(page));
  });

  it("arrayCounts: every count map becomes [1,2]", async () => {
    const { faulted, page } = await pageAndFaulted("arrayCounts", {});
    const expected = structuredClone(page) as unknown as { Associations: { Overview?: { AssociationStatusAggregatedCount?: unknown } }[] };
    expected.Associations[0]!.Overview!.AssociationStatusAggregatedCount = [1, 2];
    expected.Associations[1]!.Overview!.AssociationStatusAggregatedCount = [1, 2];
    expect(faulted.body).toBe(JSON.stringify(expected));
  });

  it("missingOptionalFields: each association keeps only AssociationId (the model requires nothing)", async () => {
    const { faulted, page } = await pageAndFaulted("missingOptionalFields");
    expect(page.NextToken).toEqual(expect.any(String));
    expect(faulted.body).toBe(
      JSON.stringify({ Associations: DATA.slice(0, 2).map((a) => ({ AssociationId: a.AssociationId })), NextToken: page.NextToken }),
    );
  });

  it("extraFields: FutureField at the top, in each association and in each Overview", async () => {
    const { faulted, page } = await pageAndFaulted("extraFields", {});
    const extra = { FutureField: { x: 1 } };
    const expected = {
      ...page,
      Associations: page.Associations.map((a) => ({ ...a, Overview: { ...a.Overview, ...extra }, ...extra })),
      ...extra,
    };
    expect(JSON.parse(faulted.body)).toEqual(expected);
    expect(faulted.body.split('"FutureField":{"x":1}')).toHaveLength(1 + 1 + 3 + 3);
  });

  it("sameNextToken: NextToken is the token that fetched this page (page 1: one that fetches page 1 again)", async () => {
    server.sim.injectFault({ kind: "sameNextToken", count: 2 });
    const first = await rawList(server.url, { MaxResults: 1 });
    const firstPage = JSON.parse(first.body) as { Associations: WireAssociation[]; NextToken: string };
    const again = await rawList(server.url, { MaxResults: 1, NextToken: firstPage.NextToken });
    const againPage = JSON.parse(again.body) as { Associations: WireAssociation[]; NextToken: string };
    const real = JSON.parse((await rawList(server.url, { MaxResults: 1, NextToken: againPage.NextToken })).body) as typeof firstPage;

    expect(firstPage.Associations.map((a) => a.AssociationId)).toEqual([DATA[0]!.AssociationId]);
    expect(againPage).toEqual(firstPage);
    // The fault is used up: the same token now fetches page 1 with the real NextToken.
    expect(real.Associations).toEqual(firstPage.Associations);
    expect(real.NextToken).not.toBe(firstPage.NextToken);
  });

  it("sameNextToken on a later page repeats the request's token, even on the last page", async () => {
    const p1 = JSON.parse((await rawList(server.url, { MaxResults: 2 })).body) as { NextToken: string };
    server.sim.injectFault({ kind: "sameNextToken", count: 1 });
    const p2 = JSON.parse((await rawList(server.url, { MaxResults: 2, NextToken: p1.NextToken })).body) as {
      Associations: WireAssociation[];
      NextToken: string;
    };
    expect(p2.Associations.map((a) => a.AssociationId)).toEqual([DATA[2]!.AssociationId]);
    expect(p2.NextToken).toBe(p1.NextToken);
  });

  it("page kinds leave error answers alone (the request was invalid)", async () => {
    server.sim.injectFault({ kind: "truncatedJson", count: 1 });
    const res = await rawList(server.url, { MaxResults: 0 });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ __type: "ValidationException" });
  });

  it("only the page kinds compute the page (and call onBeforeList)", async () => {
    const seen: string[] = [];
    let current = "";
    const off = server.sim.onBeforeList(() => seen.push(current));
    for (const kind of BODY_FAULT_KINDS) {
      current = kind;
      server.sim.injectFault({ kind, count: 1 });
      await rawList(server.url);
    }
    off();
    expect(seen).toEqual([
      "truncatedJson",
      "nonNumericCounts",
      "protoKeys",
      "arrayCounts",
      "missingOptionalFields",
      "extraFields",
      "sameNextToken",
    ]);
  });
});

describe("body faults only hit ListAssociations", () => {
  let sts: STSClient;
  beforeAll(() => {
    sts = stsClient(server.url, REGION);
  });
  afterAll(() => sts.destroy());

  it("a body fault without an operation leaves STS calls alone and waits for ListAssociations", async () => {
    server.sim.injectFault({ kind: "notJson", count: 1 });
    await expect(sts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: "123456789012" });
    expect(server.sim.pendingFaults()).toHaveLength(1);
    expect((await rawList(server.url)).body).toBe("this is not json");
  });

  it.each(["GetCallerIdentity", "AssumeRole"] as const)("refuses a body kind or InvalidNextToken for %s", (operation) => {
    for (const kind of [...BODY_FAULT_KINDS, "InvalidNextToken"] as const) {
      expect(() => server.sim.injectFault({ kind, count: 1, operation })).toThrow(RangeError);
    }
  });
});

/**
 * What @aws-sdk/client-ssm (3.1169, @smithy/core 3.41) makes of each body fault: which ones it
 * rejects and which garbage it passes on as if it were a valid ListAssociationsResult.
 */
describe("how the SDK surfaces body faults", () => {
  const send = () => client.send(new ListAssociationsCommand({}));
  type Output = Awaited<ReturnType<typeof send>>;
  const body = (out: Output) => {
    const { $metadata: _metadata, ...rest } = out;
    return rest as Record<string, unknown>;
  };

  it.each([
    ["truncatedJson", /JSON/],
    ["html200", /Unexpected token '<'/],
    ["notJson", /Unexpected token 'h'/],
  ] as const)("%s: rejects with a SyntaxError (deserialization error), $metadata status 200", async (kind, message) => {
    server.sim.injectFault({ kind, count: 1 });
    const err = await rejection(send());
    expect(err.name).toBe("SyntaxError");
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/Deserialization error/);
    expect(err.$metadata?.httpStatusCode).toBe(200);
  });

  it.each(["empty200", "emptyObject200"] as const)("%s: resolves to an output with no Associations at all", async (kind) => {
    server.sim.injectFault({ kind, count: 1 });
    const out = await send();
    expect(body(out)).toEqual({});
    expect(out.Associations).toBeUndefined();
  });

  it("wrongTypes: resolves, passing the wrong types through untouched", async () => {
    server.sim.injectFault({ kind: "wrongTypes", count: 1 });
    expect(body(await send())).toEqual({ Associations: "not-a-list", NextToken: 42 });
  });

  it("nonNumericCounts: resolves with the strings where numbers belong", async () => {
    server.sim.injectFault({ kind: "nonNumericCounts", count: 1 });
    const out = await send();
    expect(out.Associations?.map((a) => a.Overview?.AssociationStatusAggregatedCount)).toEqual([
      { Failed: "abc", Success: "1 2" },
      { Success: "abc" },
      undefined,
    ]);
  });

  it("protoKeys: resolves; __proto__ becomes an own key with value undefined, constructor an own key 1", async () => {
    server.sim.injectFault({ kind: "protoKeys", count: 1 });
    const counts = (await send()).Associations?.[0]?.Overview?.AssociationStatusAggregatedCount ?? {};
    expect(Object.getPrototypeOf(counts)).toBe(Object.prototype);
    expect(Object.entries(counts)).toEqual([
      ["Failed", 1],
      ["Success", 3],
      ["__proto__", undefined],
      ["constructor", 1],
    ]);
  });

  it("arrayCounts: resolves with the array as the count map", async () => {
    server.sim.injectFault({ kind: "arrayCounts", count: 1 });
    const out = await send();
    expect(out.Associations?.[0]?.Overview?.AssociationStatusAggregatedCount).toEqual([1, 2]);
  });

  it("missingOptionalFields: resolves with associations that have only AssociationId", async () => {
    server.sim.injectFault({ kind: "missingOptionalFields", count: 1 });
    expect((await send()).Associations).toEqual(DATA.map((a) => ({ AssociationId: a.AssociationId })));
  });

  it("extraFields: resolves; unknown members are dropped at every level", async () => {
    server.sim.injectFault({ kind: "extraFields", count: 1 });
    const out = await send();
    expect(body(out)).not.toHaveProperty("FutureField");
    expect(out.Associations?.[0]).not.toHaveProperty("FutureField");
    expect(out.Associations?.[0]?.Overview).not.toHaveProperty("FutureField");
    expect(out.Associations?.[1]?.LastExecutionDate).toEqual(new Date(1_700_000_000_500));
  });

  it("sameNextToken: the paginator follows the repeated token (same page again) unless stopOnSameToken", async () => {
    const pages = async (stopOnSameToken: boolean) => {
      const ids: string[][] = [];
      for await (const page of paginateListAssociations({ client, pageSize: 1, stopOnSameToken }, {})) {
        ids.push((page.Associations ?? []).map((a) => a.AssociationId ?? ""));
      }
      return ids;
    };
    const [a, b, c] = DATA.map((x) => [x.AssociationId]);

    server.sim.injectFault({ kind: "sameNextToken", count: 2 });
    expect(await pages(false)).toEqual([a, a, a, b, c]);
    server.sim.injectFault({ kind: "sameNextToken", count: 2 });
    // Page 1 names a token for page 1; page 2 repeats it: the paginator stops after two pages.
    expect(await pages(true)).toEqual([a, a]);
  });
});
