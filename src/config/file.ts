import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import { ConfigError, filterField, regionField } from "./fields.js";
import type { OrganizationConfig, TargetConfig } from "./config.js";

const DEFAULT_SESSION_NAME = "ssm-association-exporter";
const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
// STS limits: RoleSessionName 2–64 of [\w+=,.@-]; ExternalId 2–1224 of [\w+=,.@:/-].
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const ACCOUNT_ID = /^\d{12}$/;

const text = (what: string, pattern: RegExp, hint: string) =>
  z.string({ message: `must be a string (${what})` }).superRefine((value, ctx) => {
    if (!pattern.test(value)) ctx.addIssue({ code: "custom", message: `"${value}" is not ${hint}` });
  });

const targetSchema = z
  .strictObject(
    {
      role_arn: text("an IAM role ARN", ROLE_ARN, "an IAM role ARN (arn:aws:iam::123456789012:role/NAME)").optional(),
      account_id: text("a 12-digit AWS account id, quoted", ACCOUNT_ID, "a 12-digit AWS account id").optional(),
      external_id: text("the role's external id", EXTERNAL_ID, "a valid external id (2–1224 characters of letters, digits and +=,.@:/-)").optional(),
      session_name: text("the role session name", SESSION_NAME, "a valid session name (2–64 characters of letters, digits and +=,.@-)").optional(),
      regions: z
        .array(regionField, { error: (issue) => (issue.input === undefined ? "is missing: list the regions to poll" : "must be a list of regions") })
        .min(1, { message: "must list at least one region" }),
      filters: z.array(filterField, { message: 'must be a list of "KEY=VALUE" filters' }).optional(),
    },
    { message: "must be a mapping with regions and, optionally, role_arn, account_id, external_id, session_name, filters" },
  )
  .superRefine((target, ctx) => {
    const roleAccount = target.role_arn === undefined ? undefined : /::(\d{12}):/.exec(target.role_arn)?.[1];
    if (target.account_id !== undefined && roleAccount !== undefined && target.account_id !== roleAccount) {
      ctx.addIssue({ code: "custom", path: ["account_id"], message: `"${target.account_id}" is not the account of role_arn (${roleAccount})` });
    }
    if (target.role_arn === undefined && target.external_id !== undefined) {
      ctx.addIssue({ code: "custom", path: ["external_id"], message: "needs role_arn: an external id is only sent when assuming a role" });
    }
    if (target.role_arn === undefined && target.session_name !== undefined) {
      ctx.addIssue({ code: "custom", path: ["session_name"], message: "needs role_arn: a session name is only used when assuming a role" });
    }
    const seen = new Set<string>();
    target.regions.forEach((region, i) => {
      if (seen.has(region)) ctx.addIssue({ code: "custom", path: ["regions", i], message: `"${region}" is listed twice` });
      seen.add(region);
    });
  });

/** Organizations ids: a root `r-…` or an organizational unit `ou-…-…` (botocore organizations ParentId). */
const PARENT_ID = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
const ACCOUNT_ID_PLACEHOLDER = "{account_id}";

const accountList = (what: string) =>
  z
    .array(text("a 12-digit AWS account id, quoted", ACCOUNT_ID, "a 12-digit AWS account id"), { message: `must be a list of account ids (${what})` })
    .min(1, { message: `must list at least one account id, or be left out` });

const organizationSchema = z
  .strictObject(
    {
      role_arn: text("an IAM role ARN", ROLE_ARN, "an IAM role ARN (arn:aws:iam::123456789012:role/NAME)").optional(),
      external_id: text("the role's external id", EXTERNAL_ID, "a valid external id (2–1224 characters of letters, digits and +=,.@:/-)").optional(),
      session_name: text("the role session name", SESSION_NAME, "a valid session name (2–64 characters of letters, digits and +=,.@-)").optional(),
      member_role: z.string({ message: "is missing: the role to assume in each account, e.g. arn:aws:iam::{account_id}:role/ssm-association-exporter" }).superRefine((template, ctx) => {
        if (!template.includes(ACCOUNT_ID_PLACEHOLDER) || !ROLE_ARN.test(template.replaceAll(ACCOUNT_ID_PLACEHOLDER, "123456789012"))) {
          ctx.addIssue({ code: "custom", message: `"${template}" is not an IAM role ARN with {account_id} for the account (arn:aws:iam::{account_id}:role/NAME)` });
        }
      }),
      member_external_id: text("the member role's external id", EXTERNAL_ID, "a valid external id (2–1224 characters of letters, digits and +=,.@:/-)").optional(),
      member_session_name: text("the member role session name", SESSION_NAME, "a valid session name (2–64 characters of letters, digits and +=,.@-)").optional(),
      regions: z
        .array(regionField, { error: (issue) => (issue.input === undefined ? "is missing: list the regions to poll in every account" : "must be a list of regions") })
        .min(1, { message: "must list at least one region" }),
      filters: z.array(filterField, { message: 'must be a list of "KEY=VALUE" filters' }).optional(),
      include_accounts: accountList("only these are polled").optional(),
      exclude_accounts: accountList("these are never polled").optional(),
      organizational_units: z
        .array(text("a root or organizational unit id", PARENT_ID, "a root (r-…) or organizational unit (ou-…-…) id"), { message: "must be a list of root or organizational unit ids" })
        .min(1, { message: "must list at least one organizational unit, or be left out" })
        .optional(),
    },
    { message: "must be a mapping with member_role, regions and, optionally, role_arn, external_id, session_name, member_external_id, member_session_name, filters, include_accounts, exclude_accounts, organizational_units" },
  )
  .superRefine((org, ctx) => {
    if (org.role_arn === undefined && org.external_id !== undefined) {
      ctx.addIssue({ code: "custom", path: ["external_id"], message: "needs role_arn: an external id is only sent when assuming a role" });
    }
    if (org.role_arn === undefined && org.session_name !== undefined) {
      ctx.addIssue({ code: "custom", path: ["session_name"], message: "needs role_arn: a session name is only used when assuming a role" });
    }
    const seen = new Set<string>();
    org.regions.forEach((region, i) => {
      if (seen.has(region)) ctx.addIssue({ code: "custom", path: ["regions", i], message: `"${region}" is listed twice` });
      seen.add(region);
    });
    const excluded = new Set(org.exclude_accounts ?? []);
    (org.include_accounts ?? []).forEach((id, i) => {
      if (excluded.has(id)) ctx.addIssue({ code: "custom", path: ["include_accounts", i], message: `"${id}" is also in exclude_accounts` });
    });
  });

const fileSchema = z
  .strictObject(
    {
      targets: z
        .array(targetSchema, { error: (issue) => (issue.input === undefined ? "is missing: list the targets to poll" : "must be a list of targets") })
        .min(1, { message: "must list at least one target" })
        .optional(),
      organization: organizationSchema.optional(),
    },
    { message: "must be a mapping with a targets list, an organization section, or both" },
  )
  .superRefine((file, ctx) => {
    if (file.targets === undefined && file.organization === undefined) {
      ctx.addIssue({ code: "custom", path: ["targets"], message: "is missing: list the targets to poll (or discover them with an organization section)" });
    }
  });

/** What a config file holds: the targets it lists, and the organization whose accounts are discovered. */
export interface ConfigFile {
  readonly targets: TargetConfig[];
  readonly organization: OrganizationConfig | undefined;
}

/** `["targets", 2, "regions", 0]` → `targets[2].regions[0]`. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  return issue.message;
}

/** Parsed, validated targets of a config file; the text of the file, for tests without a file. */
export function parseTargets(source: string, name: string): TargetConfig[] {
  return parseConfigFile(source, name).targets;
}

/** Parsed, validated config file (targets and organization); the text of the file, for tests without a file. */
export function parseConfigFile(source: string, name: string): ConfigFile {
  const document = parseDocument(source, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((e) => {
        const at = e.linePos?.[0];
        const message = (e.message.split("\n")[0] ?? "invalid YAML").replace(/ at line \d+, column \d+:?$/, "");
        return `${name}: ${at ? `line ${at.line}, column ${at.col}: ` : ""}${message}`;
      }),
    );
  }
  const result = fileSchema.safeParse(document.toJS());
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${name}: ${[formatPath(issue.path), issueMessage(issue)].filter((p) => p !== "").join(": ")}`));
  }
  const targets = (result.data.targets ?? []).map((t) => ({
    roleArn: t.role_arn,
    externalId: t.external_id,
    sessionName: t.session_name ?? DEFAULT_SESSION_NAME,
    accountId: t.account_id,
    regions: t.regions,
    filters: t.filters ?? [],
  }));
  const problems: string[] = [];
  const owner = new Map<string, number>();
  targets.forEach((target, i) => {
    target.regions.forEach((region, r) => {
      const key = `${target.roleArn ?? "default credentials"} ${region}`;
      const first = owner.get(key);
      if (first !== undefined) problems.push(`${name}: targets[${i}].regions[${r}]: "${region}" is already polled with the same credentials by targets[${first}]`);
      else owner.set(key, i);
    });
  });
  if (problems.length > 0) throw new ConfigError(problems);
  const org = result.data.organization;
  const organization: OrganizationConfig | undefined = org && {
    roleArn: org.role_arn,
    externalId: org.external_id,
    sessionName: org.session_name ?? DEFAULT_SESSION_NAME,
    memberRole: org.member_role,
    memberExternalId: org.member_external_id,
    memberSessionName: org.member_session_name ?? DEFAULT_SESSION_NAME,
    regions: org.regions,
    filters: org.filters ?? [],
    includeAccounts: org.include_accounts,
    excludeAccounts: org.exclude_accounts ?? [],
    organizationalUnits: org.organizational_units,
  };
  return { targets, organization };
}

/** The role ARN of a discovered account: the member_role template with its `{account_id}` filled in. */
export function memberRoleArn(template: string, accountId: string): string {
  return template.replaceAll(ACCOUNT_ID_PLACEHOLDER, accountId);
}

export function loadConfigFile(path: string): ConfigFile {
  let source: string;
  try {
    source = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError([`${path}: cannot read the config file (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  return parseConfigFile(source, path);
}

/** The targets a config file lists (without its organization section). */
export function loadTargetsFile(path: string): TargetConfig[] {
  return loadConfigFile(path).targets;
}
