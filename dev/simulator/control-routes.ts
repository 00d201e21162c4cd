import { z } from "zod";
import type { RolePolicy } from "./assumed-roles.js";
import { UnknownAssociationError } from "./errors.js";
import { NoOrganizationError, UnknownOrganizationEntityError } from "./organization.js";
import { ControlError, json, notAllowed, only, parse } from "./control-http.js";
import { ORGANIZATION_ROUTE, organizationRoute } from "./organization-routes.js";
import { mulberry32 } from "./rng.js";
import type { Simulator } from "./simulator.js";
import {
  FAULT_KINDS,
  SIM_OPERATIONS,
  type FaultKind,
  type FaultSpec,
  type SimOperation,
  type SimResponse,
  type SimScope,
} from "./types.js";

export { json } from "./control-http.js";

/** Every control route lives under this prefix, out of the way of the AWS protocols on `POST /`. */
export const CONTROL_PREFIX = "/_sim/";

const targetSchema = z.strictObject({ Key: z.string().min(1), Values: z.array(z.string()) });
const associationSchema = z.strictObject({
  Name: z.string().min(1),
  AssociationId: z.string().min(1),
  AssociationVersion: z.string().optional(),
  DocumentVersion: z.string().optional(),
  InstanceId: z.string().optional(),
  Targets: z.array(targetSchema).optional(),
  LastExecutionDate: z.number().optional(),
  Overview: z
    .strictObject({
      Status: z.string().optional(),
      DetailedStatus: z.string().optional(),
      AssociationStatusAggregatedCount: z.record(z.string(), z.number().int().nonnegative()).optional(),
    })
    .optional(),
  ScheduleExpression: z.string().optional(),
  AssociationName: z.string().optional(),
  ScheduleOffset: z.number().int().optional(),
  Duration: z.number().int().optional(),
  TargetMaps: z.array(z.record(z.string(), z.array(z.string()))).optional(),
});
const associationListSchema = z.array(associationSchema);
const generateSchema = z.strictObject({
  count: z.number().int().min(0).max(100_000),
  seed: z.number().int().optional(),
});
const statusSchema = z.strictObject({ status: z.string().min(1), detailedStatus: z.string().min(1).optional() });
const faultSchema = z.strictObject({
  kind: z.enum(FAULT_KINDS as [string, ...string[]]),
  /** JSON has no Infinity: omitted or null means "until cleared". */
  count: z.number().int().positive().nullable().optional(),
  operation: z.enum(SIM_OPERATIONS as [string, ...string[]]).optional(),
  region: z.string().min(1).optional(),
  accountId: z.string().regex(/^\d{12}$/).optional(),
  skip: z.number().int().nonnegative().optional(),
  delayMs: z.number().int().nonnegative().optional(),
});
const accessKeySchema = z.strictObject({ accessKeyId: z.string().min(1), accountId: z.string().regex(/^\d{12}$/) });
const roleSchema = z.strictObject({ roleArn: z.string().min(1) });
const externalIdSchema = z.strictObject({ roleArn: z.string().min(1), externalId: z.string().min(1).nullable() });
const lifetimeSchema = z.strictObject({ seconds: z.number().int().positive().nullable() });
const expireSchema = z.strictObject({ accessKeyId: z.string().min(1).optional() }).nullable();
const churnSchema = z.strictObject({ count: z.number().int().min(0), seed: z.number().int().optional() });

/**
 * The simulator's own JSON API, for the demo and out-of-process tests. Scope comes from the query
 * (`?region=&account=`). Returns 400 with `{ "error": "..." }` for bad requests.
 */
export function handleControlRequest(sim: Simulator, method: string, url: URL, body: string): SimResponse {
  try {
    return route(sim, method, url, body);
  } catch (err) {
    if (err instanceof ControlError) return json(err.status, { error: err.message });
    if (err instanceof UnknownAssociationError || err instanceof UnknownOrganizationEntityError) return json(404, { error: err.message });
    if (err instanceof NoOrganizationError) return json(409, { error: err.message });
    if (err instanceof TypeError || err instanceof RangeError) return json(400, { error: err.message });
    return json(500, { error: err instanceof Error ? err.message : String(err) });
  }
}

function route(sim: Simulator, method: string, url: URL, body: string): SimResponse {
  const parts = url.pathname.slice(CONTROL_PREFIX.length).split("/").filter((p) => p !== "").map(decodeURIComponent);
  const path = parts.join("/");

  if (path === "health") return only(method, "GET", () => json(200, { ok: true }));

  if (parts[0] === ORGANIZATION_ROUTE) return organizationRoute(sim, method, parts.slice(1), body);

  if (path === "associations") {
    if (method === "GET") return json(200, sim.getAssociations(scopeOf(url)));
    if (method === "PUT") {
      const list = parse(associationListSchema, body);
      sim.setAssociations(scopeOf(url), list);
      return json(200, { count: list.length });
    }
    return notAllowed(method, ["GET", "PUT"]);
  }

  if (parts[0] === "associations" && parts.length === 2) {
    return only(method, "DELETE", () => {
      const id = parts[1] ?? "";
      if (!sim.deleteAssociation(scopeOf(url), id)) throw new ControlError(404, `association ${id} does not exist`);
      return json(200, { deleted: id });
    });
  }

  if (parts[0] === "associations" && parts.length === 3 && parts[2] === "status") {
    return only(method, "POST", () => {
      const { status, detailedStatus } = parse(statusSchema, body);
      return json(200, sim.setStatus(scopeOf(url), parts[1] ?? "", status, detailedStatus));
    });
  }

  if (parts[0] === "associations" && parts.length === 3 && parts[2] === "overdue") {
    return only(method, "POST", () => json(200, sim.makeOverdue(scopeOf(url), parts[1] ?? "")));
  }

  if (path === "seeded") {
    return only(method, "GET", () => {
      const seeded = sim.seededConditions(scopeOf(url));
      if (seeded === undefined) throw new ControlError(404, "this scope's data was not generated (POST /_sim/generate)");
      return json(200, seeded);
    });
  }

  if (path === "run-due") {
    return only(method, "POST", () => json(200, { ran: sim.runDue(scopeOf(url)) }));
  }

  if (path === "generate") {
    return only(method, "POST", () => {
      const { count, seed } = parse(generateSchema, body);
      const associations = sim.generate(scopeOf(url), count, seed);
      return json(200, { count: associations.length, associations });
    });
  }

  if (path === "churn") {
    return only(method, "POST", () => {
      const { count, seed } = parse(churnSchema, body);
      const changed = sim.churn(scopeOf(url), count, seed === undefined ? undefined : mulberry32(seed));
      return json(200, { changed });
    });
  }

  if (path === "faults") {
    if (method === "GET") return json(200, sim.pendingFaults().map(jsonSafeFault));
    if (method === "POST") {
      const f = parse(faultSchema, body);
      const spec: FaultSpec = {
        kind: f.kind as FaultKind,
        count: f.count ?? Infinity,
        ...(f.operation !== undefined && { operation: f.operation as SimOperation }),
        ...(f.region !== undefined && { region: f.region }),
        ...(f.accountId !== undefined && { accountId: f.accountId }),
        ...(f.skip !== undefined && { skip: f.skip }),
        ...(f.delayMs !== undefined && { delayMs: f.delayMs }),
      };
      sim.injectFault(spec);
      return json(201, jsonSafeFault(spec));
    }
    if (method === "DELETE") {
      sim.clearFaults();
      return json(200, { cleared: true });
    }
    return notAllowed(method, ["GET", "POST", "DELETE"]);
  }

  if (path === "calls") {
    return only(method, "GET", () => {
      const total = Object.fromEntries(SIM_OPERATIONS.map((op) => [op, sim.callCount(op)]));
      return json(200, { total, calls: sim.callCounts() });
    });
  }

  if (path === "calls/reset") {
    return only(method, "POST", () => {
      sim.resetCounters();
      return json(200, { reset: true });
    });
  }

  if (path === "access-keys") {
    return only(method, "POST", () => {
      const { accessKeyId, accountId } = parse(accessKeySchema, body);
      sim.mapAccessKey(accessKeyId, accountId);
      return json(200, { accessKeyId, accountId });
    });
  }

  if (path === "roles") return only(method, "GET", () => json(200, sim.rolePolicies()));

  if (path === "roles/deny" || path === "roles/allow") {
    return only(method, "POST", () => {
      const { roleArn } = parse(roleSchema, body);
      if (path === "roles/deny") sim.denyAssumeRole(roleArn);
      else sim.allowAssumeRole(roleArn);
      return json(200, policyOf(sim, roleArn));
    });
  }

  if (path === "roles/external-id") {
    return only(method, "POST", () => {
      const { roleArn, externalId } = parse(externalIdSchema, body);
      sim.requireExternalId(roleArn, externalId ?? undefined);
      return json(200, policyOf(sim, roleArn));
    });
  }

  if (path === "credential-lifetime") {
    if (method === "GET") return json(200, { seconds: sim.credentialLifetimeSeconds ?? null });
    if (method === "PUT") {
      const { seconds } = parse(lifetimeSchema, body);
      sim.setCredentialLifetime(seconds ?? undefined);
      return json(200, { seconds });
    }
    return notAllowed(method, ["GET", "PUT"]);
  }

  if (path === "credentials") {
    return only(method, "GET", () =>
      json(
        200,
        sim.issuedCredentials().map((c) => ({
          accessKeyId: c.accessKeyId,
          accountId: c.accountId,
          roleArn: c.roleArn,
          sessionName: c.sessionName,
          assumedRoleArn: c.assumedRoleArn,
          expiration: new Date(c.expiration).toISOString(),
          expired: c.expired,
        })),
      ),
    );
  }

  if (path === "credentials/expire") {
    return only(method, "POST", () => {
      const options = body.trim() === "" ? null : parse(expireSchema, body);
      return json(200, { expired: sim.expireCredentials(options?.accessKeyId) });
    });
  }

  throw new ControlError(404, `no control route ${method} ${url.pathname}`);
}

/** The role's policy after a change: `{ roleArn, denied, externalId? }`. */
function policyOf(sim: Simulator, roleArn: string): RolePolicy {
  return sim.rolePolicies().find((p) => p.roleArn === roleArn) ?? { roleArn, denied: false };
}

function scopeOf(url: URL): SimScope {
  const region = url.searchParams.get("region");
  if (region === null || region === "") throw new ControlError(400, "query parameter 'region' is required");
  const account = url.searchParams.get("account");
  if (account === null || account === "") return { region };
  if (!/^\d{12}$/.test(account)) throw new ControlError(400, "query parameter 'account' must be 12 digits");
  return { region, accountId: account };
}

/** JSON turns Infinity into null; say "until cleared" explicitly instead. */
function jsonSafeFault<T extends { count: number }>(f: T): Omit<T, "count"> & { count: number | "until-cleared" } {
  return { ...f, count: Number.isFinite(f.count) ? f.count : "until-cleared" };
}

