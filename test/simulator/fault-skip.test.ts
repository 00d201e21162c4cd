import { ListAssociationsCommand, paginateListAssociations, type SSMClient } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import { FaultBook, type CallSite } from "../../dev/simulator/faults.js";
import type { RunningSimulator } from "../../dev/simulator/server.js";
import { association, rejection, ssmClient, useSimulatorWithClient } from "./helpers.js";

const REGION = "us-east-1";
const SITE: CallSite = { operation: "ListAssociations", region: REGION, accountId: "123456789012" };

describe("FaultBook skip", () => {
  it("lets `skip` matching calls through, then applies `count` times", () => {
    const book = new FaultBook();
    book.add({ kind: "ThrottlingException", count: 2, skip: 2 });
    expect([1, 2, 3, 4, 5].map(() => book.take(SITE)?.kind)).toEqual([undefined, undefined, "ThrottlingException", "ThrottlingException", undefined]);
  });

  it("counts skips per fault, over every matching call, whatever else hits it", () => {
    const book = new FaultBook();
    book.add({ kind: "ThrottlingException", count: 1, skip: 1, region: REGION });
    book.add({ kind: "InternalServerError", count: 1, skip: 3, region: REGION });
    book.add({ kind: "rst", count: Infinity, region: "eu-west-1" });
    const other = { ...SITE, region: "eu-west-1" };
    const kinds = [SITE, other, SITE, SITE, SITE, SITE].map((site) => book.take(site)?.kind);
    // The eu-west-1 call matches neither skipping fault, so it counts for neither; the third call,
    // throttled, still counts towards the InternalServerError's skip.
    expect(kinds).toEqual([undefined, "rst", "ThrottlingException", undefined, "InternalServerError", undefined]);
  });

  it("skips only calls the fault matches; STS calls never count for a ListAssociations-only kind", () => {
    const book = new FaultBook();
    book.add({ kind: "notJson", count: 1, skip: 1 });
    const sts: CallSite = { ...SITE, operation: "GetCallerIdentity" };
    expect([sts, sts, SITE, SITE].map((site) => book.take(site)?.kind)).toEqual([undefined, undefined, undefined, "notJson"]);
  });

  it("reports what is left of skip and count", () => {
    const book = new FaultBook();
    book.add({ kind: "slow", count: 3, skip: 2, delayMs: 5 });
    book.take(SITE);
    expect(book.list()).toEqual([{ kind: "slow", count: 3, skip: 1, delayMs: 5 }]);
    book.take(SITE);
    expect(book.take(SITE)).toEqual({ kind: "slow", delayMs: 5 });
    expect(book.list()).toEqual([{ kind: "slow", count: 2, skip: 0, delayMs: 5 }]);
  });

  it("defaults the slow delay to 30 s", () => {
    const book = new FaultBook();
    book.add({ kind: "slow", count: 1 });
    expect(book.take(SITE)).toEqual({ kind: "slow", delayMs: 30_000 });
  });

  it.each([
    [{ kind: "ThrottlingException", count: 1, skip: -1 }, /skip/],
    [{ kind: "ThrottlingException", count: 1, skip: 1.5 }, /skip/],
    [{ kind: "ThrottlingException", count: 1, delayMs: 10 }, /delayMs only applies to the "slow"/],
    [{ kind: "slow", count: 1, delayMs: -1 }, /delayMs/],
    [{ kind: "truncatedJson", count: 1, operation: "AssumeRole" }, /only applies to ListAssociations/],
    [{ kind: "nope", count: 1 }, /unknown fault kind/],
  ] as const)("rejects %o with a RangeError", (spec, message) => {
    expect(() => new FaultBook().add(spec as never)).toThrow(RangeError);
    expect(() => new FaultBook().add(spec as never)).toThrow(message);
  });
});

describe("skip through the real SDK: page k of a listing", () => {
  let server: RunningSimulator;
  let client: SSMClient;
  useSimulatorWithClient(REGION, () => Array.from({ length: 5 }, (_, i) => association(i)), (env) => {
    ({ server, client } = env);
  });

  async function listing(): Promise<{ pages: number; error?: Error }> {
    let pages = 0;
    try {
      for await (const _page of paginateListAssociations({ client, pageSize: 1 }, {})) pages += 1;
      return { pages };
    } catch (error) {
      return { pages, error: error as Error };
    }
  }

  it.each([1, 2, 3, 5])("count 1, skip k-1 fails page %i of 5, and the next listing is whole", async (k) => {
    server.sim.injectFault({ kind: "ThrottlingException", count: 1, skip: k - 1, operation: "ListAssociations", region: REGION });

    const first = await listing();
    expect(first.pages).toBe(k - 1);
    expect(first.error?.name).toBe("ThrottlingException");
    expect(server.sim.callCount("ListAssociations")).toBe(k);
    expect(await listing()).toEqual({ pages: 5 });
  });

  it("works with body and transport kinds too: page 3 cut in half", async () => {
    server.sim.injectFault({ kind: "truncatedJson", count: 1, skip: 2, region: REGION });
    const { pages, error } = await listing();
    expect(pages).toBe(2);
    expect(error?.name).toBe("SyntaxError");
  });

  it("only matching calls count: another region's listing does not use up the skip", async () => {
    server.sim.setAssociations({ region: "eu-west-1" }, [association(9)]);
    server.sim.injectFault({ kind: "ThrottlingException", count: 1, skip: 1, region: REGION });
    const eu = ssmClient(server.url, "eu-west-1");
    await eu.send(new ListAssociationsCommand({}));
    await eu.send(new ListAssociationsCommand({}));
    eu.destroy();
    await client.send(new ListAssociationsCommand({}));
    expect((await rejection(client.send(new ListAssociationsCommand({})))).name).toBe("ThrottlingException");
  });
});
