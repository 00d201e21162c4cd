import { ListAssociationsCommand, paginateListAssociations, type SSMClient } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import type { RunningSimulator } from "../../dev/simulator/server.js";
import { association, rejection, ssmClient, useSimulatorWithClient } from "./helpers.js";

const REGION = "us-east-1";
let server: RunningSimulator;
let client: SSMClient;

useSimulatorWithClient(REGION, () => Array.from({ length: 7 }, (_, i) => association(i)), (env) => {
  ({ server, client } = env);
});

async function listAll(pageSize = 3): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateListAssociations({ client, pageSize }, {})) {
    for (const a of page.Associations ?? []) ids.push(a.AssociationId ?? "");
  }
  return ids;
}

describe("onBeforeList", () => {
  it("is called once per page, before it is computed, with firstPage only for the first", async () => {
    const seen: [string, string, boolean][] = [];
    const off = server.sim.onBeforeList((site, firstPage) => seen.push([site.region, site.accountId, firstPage]));
    try {
      expect(await listAll()).toHaveLength(7);
    } finally {
      off();
    }
    expect(seen).toEqual([
      [REGION, server.sim.defaultAccountId, true],
      [REGION, server.sim.defaultAccountId, false],
      [REGION, server.sim.defaultAccountId, false],
    ]);
  });

  it("sees its own data changes on the page it precedes (churn at the start of a poll)", async () => {
    const off = server.sim.onBeforeList((site, firstPage) => {
      if (firstPage) server.sim.setStatus(site, association(0).AssociationId, "Failed");
    });
    const out = await client.send(new ListAssociationsCommand({ MaxResults: 3 }));
    off();
    expect(out.Associations?.[0]?.Overview?.Status).toBe("Failed");
  });

  it("can change the data between pages; replacing the data set expires the running listing's token", async () => {
    let added = 100;
    const off = server.sim.onBeforeList((site, firstPage) => {
      if (!firstPage) server.sim.addAssociation(site, association(added++));
    });
    const ids = await listAll();
    off();
    // Pages 2 and 3 each appended one before they were computed: both show up on the last page.
    expect(ids).toHaveLength(9);
    expect(ids.slice(-2)).toEqual([association(100).AssociationId, association(101).AssociationId]);

    const off2 = server.sim.onBeforeList((site, firstPage) => {
      if (!firstPage) server.sim.setAssociations(site, [association(1)]);
    });
    const first = await client.send(new ListAssociationsCommand({ MaxResults: 3 }));
    const err = await rejection(client.send(new ListAssociationsCommand({ MaxResults: 3, NextToken: first.NextToken })));
    off2();
    expect(err.name).toBe("InvalidNextToken");
  });

  it("stops after unsubscribing, each registration separately", async () => {
    let a = 0;
    let b = 0;
    const listener = () => (a += 1);
    const offA = server.sim.onBeforeList(listener);
    const offA2 = server.sim.onBeforeList(listener);
    const offB = server.sim.onBeforeList(() => (b += 1));
    await client.send(new ListAssociationsCommand({}));
    offA();
    await client.send(new ListAssociationsCommand({}));
    offA2();
    offB();
    offB();
    await client.send(new ListAssociationsCommand({}));
    expect([a, b]).toEqual([3, 2]);
  });

  it("turns a throwing listener into a 500 InternalServerError", async () => {
    const off = server.sim.onBeforeList(() => {
      throw new Error("listener broke");
    });
    const err = await rejection(client.send(new ListAssociationsCommand({})));
    off();
    expect(err.name).toBe("InternalServerError");
    expect(err.message).toMatch(/listener broke/);
    expect(err.$metadata?.httpStatusCode).toBe(500);
  });

  it("is not called for requests refused before a page (auth, fault, validation)", async () => {
    let calls = 0;
    const off = server.sim.onBeforeList(() => (calls += 1));
    server.sim.injectFault({ kind: "ThrottlingException", count: 1 });
    await rejection(client.send(new ListAssociationsCommand({})));
    await rejection(client.send(new ListAssociationsCommand({ MaxResults: 51 })));
    await rejection(ssmClient(server.url, REGION, "ASIANEVERISSUED00000").send(new ListAssociationsCommand({})));
    off();
    expect(calls).toBe(0);
  });
});
