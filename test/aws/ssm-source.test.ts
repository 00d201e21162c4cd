import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SsmAssociationSource } from "../../src/aws/ssm-source.js";
import { AwsCallError } from "../../src/domain/association.js";

/**
 * The real SDK over HTTP against a scripted endpoint: each request gets the next body of `pages`, so a
 * test can send what the simulator never would (an association listed twice across pages).
 */
let server: Server;
let url = "";
let pages: string[] = [];
const requests: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      requests.push(JSON.parse(body || "{}") as Record<string, unknown>);
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end(pages.shift() ?? '{"Associations":[]}');
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.AWS_ENDPOINT_URL_SSM = url;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function source(): SsmAssociationSource {
  return new SsmAssociationSource({
    region: "us-east-1",
    filters: [{ key: "Name", value: "AWS-RunPatchBaseline" }],
    settings: { requestTimeoutMs: 2_000, maxAttempts: 1 },
    credentials: async () => ({ accessKeyId: "AKIDTEST", secretAccessKey: "secret" }),
    identity: { operation: "ConfiguredAccountId", knownAccountId: "123456789012", accountId: () => Promise.resolve("123456789012") },
    recordApiCall: () => undefined,
  });
}

const page = (ids: string[], nextToken?: string) => JSON.stringify({ Associations: ids.map((AssociationId) => ({ AssociationId, Name: "AWS-RunPatchBaseline" })), ...(nextToken ? { NextToken: nextToken } : {}) });

async function failure(promise: Promise<unknown>): Promise<AwsCallError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AwsCallError)) throw new Error(`expected an AwsCallError, got ${String(err)}`);
  return err;
}

describe("SsmAssociationSource", () => {
  it("reads every page with the largest page size and the filters, and returns them in order", async () => {
    pages = [page(["a", "b"], "t1"), page(["c"], "t2"), page(["d"])];
    requests.length = 0;
    const s = source();
    const associations = await s.listAssociations(new AbortController().signal);
    s.destroy();
    expect(associations.map((a) => a.associationId)).toEqual(["a", "b", "c", "d"]);
    expect(requests).toEqual([
      { AssociationFilterList: [{ key: "Name", value: "AWS-RunPatchBaseline" }], MaxResults: 50 },
      { AssociationFilterList: [{ key: "Name", value: "AWS-RunPatchBaseline" }], MaxResults: 50, NextToken: "t1" },
      { AssociationFilterList: [{ key: "Name", value: "AWS-RunPatchBaseline" }], MaxResults: 50, NextToken: "t2" },
    ]);
  });

  it("rejects an association listed twice across pages: a duplicate series would break the whole scrape", async () => {
    pages = [page(["a", "b"], "t1"), page(["b", "c"])];
    const s = source();
    const err = await failure(s.listAssociations(new AbortController().signal));
    s.destroy();
    expect(err).toMatchObject({ operation: "ListAssociations", code: "InvalidResponse", field: "Associations[].AssociationId" });
    expect(err.message).toBe("page 2: association b was already listed on an earlier page");
  });

  it("rejects a NextToken seen before, instead of looping or stopping short", async () => {
    pages = [page(["a"], "t1"), page(["b"], "t2"), page(["c"], "t1")];
    const s = source();
    const err = await failure(s.listAssociations(new AbortController().signal));
    s.destroy();
    expect(err).toMatchObject({ code: "InvalidResponse", field: "NextToken" });
    expect(err.message).toBe("page 3: NextToken repeats an earlier one; the listing would never end");
  });

  it("names the page and the field of an invalid answer", async () => {
    pages = [page(["a"], "t1"), '{"Associations":[{"AssociationId":"b","Overview":{"AssociationStatusAggregatedCount":{"Failed":"1 2"}}}]}'];
    const s = source();
    const err = await failure(s.listAssociations(new AbortController().signal));
    s.destroy();
    expect(err).toMatchObject({ code: "InvalidResponse", field: "Associations[0].Overview.AssociationStatusAggregatedCount.Failed" });
    expect(err.message).toMatch(/^page 2: invalid ListAssociations response: /);
  });
});
