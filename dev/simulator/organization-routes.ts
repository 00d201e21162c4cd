import { z } from "zod";
import { ControlError, json, notAllowed, only, parse } from "./control-http.js";
import { ACCOUNT_STATES, ACCOUNT_STATUSES, type OuSpec } from "./organization.js";
import type { Simulator } from "./simulator.js";
import type { SimResponse } from "./types.js";

/** `/_sim/organization/...`: the AWS Organizations state, for the demo and out-of-process tests. */
export const ORGANIZATION_ROUTE = "organization";

const accountId = z.string().regex(/^\d{12}$/);
const ouSpecSchema: z.ZodType<OuSpec> = z.lazy(() =>
  z.union([z.string().min(1).max(128), z.strictObject({ name: z.string().min(1).max(128), children: z.array(ouSpecSchema).optional() })]),
);
const createSchema = z.strictObject({ managementAccountId: accountId.optional(), seed: z.number().int().optional() }).nullable();
const generateSchema = z.strictObject({
  accounts: z.number().int().min(1).max(100_000),
  ous: z.array(ouSpecSchema).optional(),
  seed: z.number().int().optional(),
  managementAccountId: accountId.optional(),
  memberAccountIds: z.array(accountId).optional(),
});
const ouSchema = z.strictObject({ parentId: z.string().min(1).optional(), name: z.string().min(1).max(128) });
const accountSchema = z.strictObject({
  id: accountId.optional(),
  name: z.string().min(1).max(128),
  email: z.string().min(6).max(64).optional(),
  parentId: z.string().min(1).optional(),
  status: z.enum(ACCOUNT_STATUSES).optional(),
  state: z.enum(ACCOUNT_STATES).optional(),
});
const statusSchema = z.union([z.strictObject({ status: z.enum(ACCOUNT_STATUSES) }), z.strictObject({ state: z.enum(ACCOUNT_STATES) })]);
const moveSchema = z.strictObject({ parentId: z.string().min(1) });

/**
 * - GET    /_sim/organization                          → { organization, rootId, organizationalUnits, accounts, delegatedAdministrators }
 * - POST   /_sim/organization                          { managementAccountId?, seed? } creates an empty one
 * - DELETE /_sim/organization                          removes it (calls answer AWSOrganizationsNotInUseException)
 * - POST   /_sim/organization/generate                 { accounts, ous?, seed?, managementAccountId?, memberAccountIds? }
 * - POST   /_sim/organization/ous                      { parentId?, name } → { id }
 * - POST   /_sim/organization/accounts                 { id?, name, email?, parentId?, status?, state? }
 * - DELETE /_sim/organization/accounts/<id>            removes the account
 * - POST   /_sim/organization/accounts/<id>/status     { status } or { state }
 * - POST   /_sim/organization/accounts/<id>/close      Status SUSPENDED, State CLOSED
 * - POST   /_sim/organization/accounts/<id>/move       { parentId }
 * - POST | DELETE /_sim/organization/delegated-administrators/<id>
 */
export function organizationRoute(sim: Simulator, method: string, parts: readonly string[], body: string): SimResponse {
  const org = sim.organization();
  const path = parts.join("/");

  if (path === "") {
    if (method === "GET") {
      if (!org.exists) throw new ControlError(404, "there is no organization");
      return json(200, {
        organization: org.describe(),
        rootId: org.rootId,
        organizationalUnits: org.organizationalUnits(),
        accounts: org.accounts(),
        delegatedAdministrators: org.delegatedAdministrators(),
      });
    }
    if (method === "POST") {
      const options = body.trim() === "" ? null : parse(createSchema, body);
      return json(201, org.createOrganization(options ?? {}));
    }
    if (method === "DELETE") {
      org.deleteOrganization();
      return json(200, { deleted: true });
    }
    return notAllowed(method, ["GET", "POST", "DELETE"]);
  }

  if (path === "generate") {
    return only(method, "POST", () => {
      const accounts = org.generateOrganization(parse(generateSchema, body));
      return json(200, { organization: org.describe(), count: accounts.length, accounts });
    });
  }

  if (path === "ous") {
    return only(method, "POST", () => {
      const { parentId, name } = parse(ouSchema, body);
      return json(201, { id: org.addOrganizationalUnit(parentId ?? org.rootId, name) });
    });
  }

  if (path === "accounts") return only(method, "POST", () => json(201, org.addAccount(parse(accountSchema, body))));

  if (parts[0] === "accounts" && parts.length === 2) {
    return only(method, "DELETE", () => {
      const id = parts[1] ?? "";
      if (!org.removeAccount(id)) throw new ControlError(404, `account ${id} is not in the organization`);
      return json(200, { removed: id });
    });
  }

  if (parts[0] === "accounts" && parts.length === 3) {
    const id = parts[1] ?? "";
    switch (parts[2]) {
      case "status":
        return only(method, "POST", () => {
          const change = parse(statusSchema, body);
          return json(200, "status" in change ? org.setAccountStatus(id, change.status) : org.setAccountState(id, change.state));
        });
      case "close":
        return only(method, "POST", () => json(200, org.closeAccount(id)));
      case "move":
        return only(method, "POST", () => json(200, org.moveAccount(id, parse(moveSchema, body).parentId)));
    }
  }

  if (parts[0] === "delegated-administrators" && parts.length === 2) {
    const id = parts[1] ?? "";
    if (method === "POST") {
      org.registerDelegatedAdministrator(id);
      return json(200, { delegatedAdministrators: org.delegatedAdministrators() });
    }
    if (method === "DELETE") {
      org.deregisterDelegatedAdministrator(id);
      return json(200, { delegatedAdministrators: org.delegatedAdministrators() });
    }
    return notAllowed(method, ["POST", "DELETE"]);
  }

  throw new ControlError(404, `no control route ${method} /_sim/organization/${path}`);
}
