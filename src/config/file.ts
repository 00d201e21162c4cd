import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import { ConfigError, filterField, regionField } from "./fields.js";
import type { TargetConfig } from "./config.js";

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

const fileSchema = z.strictObject(
  {
    targets: z
      .array(targetSchema, { error: (issue) => (issue.input === undefined ? "is missing: list the targets to poll" : "must be a list of targets") })
      .min(1, { message: "must list at least one target" }),
  },
  { message: "must be a mapping with a targets list" },
);

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
  const targets = result.data.targets.map((t) => ({
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
  return targets;
}

export function loadTargetsFile(path: string): TargetConfig[] {
  let source: string;
  try {
    source = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError([`${path}: cannot read the config file (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  return parseTargets(source, path);
}
