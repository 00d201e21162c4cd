import { describe, expect, it } from "vitest";
import { parseAccountsPage, parseChildrenPage } from "../../src/aws/organization-accounts.js";
import { selectAccounts } from "../../src/discovery/select-accounts.js";

describe("Organizations answers", () => {
  it("reads accounts (name, status, state), an empty NextToken ends the listing", () => {
    expect(
      parseAccountsPage("ListAccounts", {
        Accounts: [
          { Id: "111122223333", Name: "prod", Status: "ACTIVE", State: "ACTIVE", Arn: "arn:aws:organizations::x", JoinedTimestamp: new Date() },
          { Id: "444455556666", Status: "SUSPENDED" },
        ],
        NextToken: "",
      }),
    ).toEqual({
      ok: true,
      value: {
        accounts: [
          { id: "111122223333", name: "prod", status: "ACTIVE", state: "ACTIVE" },
          { id: "444455556666", name: "", status: "SUSPENDED", state: undefined },
        ],
        nextToken: undefined,
      },
    });
  });

  it("fails a page without its list, or with an account id that is not 12 digits", () => {
    expect(parseAccountsPage("ListAccounts", {})).toMatchObject({ ok: false, field: "Accounts" });
    expect(parseAccountsPage("ListAccountsForParent", { Accounts: [{ Id: "1234" }] })).toMatchObject({ ok: false, field: "Accounts.0.Id" });
    const bad = parseAccountsPage("ListAccountsForParent", { Accounts: "all" });
    expect(bad.ok === false && bad.message).toMatch(/^invalid ListAccountsForParent response: Accounts /);
    expect(parseChildrenPage({ Children: [{ Id: "ou-ab12-abcdefgh", Type: "ORGANIZATIONAL_UNIT" }], NextToken: "t" })).toEqual({ ok: true, value: { ids: ["ou-ab12-abcdefgh"], nextToken: "t" } });
    expect(parseChildrenPage({ NextToken: "t" })).toMatchObject({ ok: false, field: "Children" });
  });
});

describe("selectAccounts", () => {
  const a = (id: string, status: string, state?: string) => ({ id, name: `n-${id}`, status, state });
  it("keeps ACTIVE accounts only (State too, when sent), applies include and exclude, each once, ordered by id", () => {
    const listed = [a("333333333333", "ACTIVE"), a("111111111111", "ACTIVE", "ACTIVE"), a("222222222222", "SUSPENDED", "CLOSED"), a("444444444444", "ACTIVE", "PENDING_ACTIVATION"), a("555555555555", "PENDING_CLOSURE"), a("111111111111", "ACTIVE")];
    expect(selectAccounts(listed, { includeAccounts: undefined, excludeAccounts: [] }).map((x) => x.id)).toEqual(["111111111111", "333333333333"]);
    expect(selectAccounts(listed, { includeAccounts: ["333333333333", "222222222222"], excludeAccounts: [] }).map((x) => x.id)).toEqual(["333333333333"]);
    expect(selectAccounts(listed, { includeAccounts: undefined, excludeAccounts: ["111111111111"] })).toEqual([{ id: "333333333333", name: "n-333333333333" }]);
  });
});
