import { ListAccountsCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { ListAssociationsCommand } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import { parseCliArgs, runCli, type CliIo } from "../../dev/simulator/cli.js";
import { startSimulator } from "../../dev/simulator/server.js";
import { ssmClient, TEST_SECRET } from "./helpers.js";

const quiet: CliIo = { out: () => undefined, err: () => undefined };

describe("simulator CLI with an organization", () => {
  it("parses --org-accounts and --org-member-associations", () => {
    expect(parseCliArgs(["--org-accounts", "100", "--org-member-associations", "5"])).toMatchObject({ orgAccounts: 100, orgMemberAssociations: 5 });
    expect(() => parseCliArgs(["--org-accounts", "-1"], quiet)).toThrow();
  });

  it("--org-accounts makes an organization managed by --account-id, with the --access-key accounts as members", async () => {
    const errLines: string[] = [];
    const options = parseCliArgs([
      ...["--port", "0", "--associations", "3", "--org-accounts", "30", "--org-member-associations", "2"],
      ...["--access-key", "AKIDB=222222222222", "--access-key", "AKIDMGMT=123456789012"],
    ]);
    const cli = await runCli(options, { out: () => undefined, err: (l) => errLines.push(l) });
    try {
      const { sim, url } = cli.running;
      const org = sim.organization();
      expect(org.describe().MasterAccountId).toBe("123456789012");
      expect(org.accounts()).toHaveLength(30);
      expect(org.accounts().map((a) => a.Id)).toContain("222222222222");
      expect(errLines.some((l) => /^organization o-[a-z0-9]{10}: 30 accounts, 7 OUs, management account 123456789012$/.test(l))).toBe(true);

      const client = new OrganizationsClient({ region: "us-east-1", endpoint: url, credentials: { accessKeyId: "AKIDMGMT", secretAccessKey: TEST_SECRET }, maxAttempts: 1 });
      const listed = await client.send(new ListAccountsCommand({}));
      expect(listed.Accounts).toHaveLength(20);
      client.destroy();

      // The mapped member keeps its --associations data; other ACTIVE members get --org-member-associations.
      expect(sim.getAssociations({ region: "us-east-1", accountId: "222222222222" })).toHaveLength(3);
      const other = org.accounts().find((a) => a.State === "ACTIVE" && !["123456789012", "222222222222"].includes(a.Id))!;
      sim.mapAccessKey("AKIDOTHER", other.Id);
      const ssm = ssmClient(url, "us-east-1", "AKIDOTHER");
      expect((await ssm.send(new ListAssociationsCommand({}))).Associations).toHaveLength(2);
      ssm.destroy();
    } finally {
      await cli.stop();
    }
  });
});

describe("/_sim/organization control routes", () => {
  it("generate, read, add, change, move, close, remove, delegate, delete", async () => {
    const server = await startSimulator();
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}/_sim/organization${path}`, {
        method,
        ...(body !== undefined && { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      expect((await call("GET", "")).status).toBe(404);
      expect((await call("POST", "/accounts", { name: "x" })).status).toBe(409);
      const generated = await call("POST", "/generate", { accounts: 12, seed: 5, ous: ["A", { name: "B", children: ["C"] }] });
      expect([generated.status, generated.body.count]).toEqual([200, 12]);
      const state = (await call("GET", "")).body as { rootId: string; organizationalUnits: { Id: string; Name: string }[]; accounts: { Id: string }[] };
      expect(state.organizationalUnits.map((o) => o.Name)).toEqual(["A", "B", "C"]);

      const ou = await call("POST", "/ous", { name: "D" });
      expect([ou.status, ou.body.id]).toEqual([201, expect.stringMatching(/^ou-[0-9a-z]{4}-[a-z0-9]{8}$/)]);
      const added = await call("POST", "/accounts", { id: "222222222222", name: "new", parentId: ou.body.id });
      expect([added.status, added.body.ParentId, added.body.Status]).toEqual([201, ou.body.id, "ACTIVE"]);
      expect((await call("POST", "/accounts/222222222222/status", { status: "SUSPENDED" })).body).toMatchObject({ Status: "SUSPENDED", State: "SUSPENDED" });
      expect((await call("POST", "/accounts/222222222222/status", { state: "PENDING_ACTIVATION" })).body).toMatchObject({ Status: "ACTIVE" });
      expect((await call("POST", "/accounts/222222222222/move", { parentId: state.rootId })).body).toMatchObject({ ParentId: state.rootId });
      expect((await call("POST", "/accounts/222222222222/close")).body).toMatchObject({ Status: "SUSPENDED", State: "CLOSED" });
      expect((await call("POST", "/delegated-administrators/222222222222")).body).toEqual({ delegatedAdministrators: ["222222222222"] });
      expect((await call("POST", "/accounts/222222222222/status", { status: "CLOSED" })).status).toBe(400);
      expect((await call("POST", "/accounts/999999999999/close")).status).toBe(404);
      expect((await call("DELETE", "/accounts/222222222222")).body).toEqual({ removed: "222222222222" });
      expect((await call("DELETE", "/accounts/222222222222")).status).toBe(404);
      expect((await call("DELETE", "")).body).toEqual({ deleted: true });
      expect((await call("GET", "")).status).toBe(404);
      expect((await call("PUT", "")).status).toBe(405);
    } finally {
      await server.close();
    }
  });
});
