import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfigFile, loadTargetsFile, memberRoleArn } from "../../src/config/file.js";
import { ConfigError, parseCommandLine } from "../../src/config/config.js";

const dir = fileURLToPath(new URL("../fixtures/config/", import.meta.url));
const fixture = (name: string) => `${dir}${name}`;

function problemsOf(path: string): readonly string[] {
  try {
    loadTargetsFile(path);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error(`${path} was accepted`);
}

describe("config file", () => {
  it("reads a single-account file", () => {
    expect(loadTargetsFile(fixture("single-account.ok.yaml"))).toEqual([
      { roleArn: undefined, externalId: undefined, sessionName: "ssm-association-exporter", accountId: undefined, regions: ["us-east-1", "eu-west-1"], filters: [] },
    ]);
  });

  it("reads a multi-account file with roles, external ids, session names and filters", () => {
    expect(loadTargetsFile(fixture("multi-account.ok.yaml"))).toEqual([
      {
        roleArn: undefined,
        externalId: undefined,
        sessionName: "ssm-association-exporter",
        accountId: undefined,
        regions: ["us-east-1"],
        filters: [{ key: "AssociationStatusName", value: "Failed" }],
      },
      {
        roleArn: "arn:aws:iam::111122223333:role/ssm-association-exporter",
        externalId: "fleet-monitoring",
        sessionName: "prometheus-exporter",
        accountId: undefined,
        regions: ["us-east-1", "eu-west-1", "ap-southeast-2"],
        filters: [],
      },
      {
        roleArn: "arn:aws:iam::444455556666:role/org/ssm-association-exporter",
        externalId: undefined,
        sessionName: "ssm-association-exporter",
        accountId: undefined,
        regions: ["eu-central-1"],
        filters: [
          { key: "Name", value: "AWS-RunPatchBaseline" },
          { key: "LastExecutedAfter", value: "2026-01-01T00:00:00Z" },
        ],
      },
    ]);
  });

  it("reads an organization section next to targets", () => {
    expect(loadConfigFile(fixture("organization.ok.yaml"))).toEqual({
      targets: [{ roleArn: undefined, externalId: undefined, sessionName: "ssm-association-exporter", accountId: "012345678901", regions: ["us-east-1"], filters: [] }],
      organization: {
        roleArn: "arn:aws:iam::111122223333:role/organizations-reader",
        externalId: undefined,
        sessionName: "ssm-association-exporter",
        memberRole: "arn:aws:iam::{account_id}:role/ssm-association-exporter",
        memberExternalId: "fleet-2026",
        memberSessionName: "ssm-association-exporter",
        regions: ["us-east-1", "eu-west-1"],
        filters: [{ key: "AssociationStatusName", value: "Failed" }],
        includeAccounts: undefined,
        excludeAccounts: ["444455556666"],
        organizationalUnits: ["ou-ab12-abcdefgh", "r-ab12"],
      },
    });
    expect(memberRoleArn("arn:aws:iam::{account_id}:role/ssm-association-exporter", "210987654321")).toBe("arn:aws:iam::210987654321:role/ssm-association-exporter");
    const config = parseCommandLine([`--config.file=${fixture("organization.ok.yaml")}`, "--discovery.interval=15m"], {}, "0");
    if (config.kind !== "run") throw new Error("expected a run");
    expect(config.config.discovery?.intervalMs).toBe(900_000);
    expect(config.config.discovery?.organization.regions).toEqual(["us-east-1", "eu-west-1"]);
  });

  it("reads account ids: quoted, 12 digits, leading zeros kept", () => {
    expect(loadTargetsFile(fixture("account-ids.ok.yaml")).map((t) => [t.roleArn, t.accountId])).toEqual([
      [undefined, "012345678901"],
      ["arn:aws:iam::111122223333:role/ssm-association-exporter", "111122223333"],
    ]);
  });

  const bad: Record<string, string[]> = {
    "account-ids.bad.yaml": [
      "targets[0].account_id: must be a string (a 12-digit AWS account id, quoted)",
      'targets[1].account_id: "12345" is not a 12-digit AWS account id',
      'targets[2].account_id: "444455556666" is not the account of role_arn (111122223333)',
    ],
    "bad-region.bad.yaml": ['targets[2].regions[0]: "us-eest-1" is not a region'],
    "many-problems.bad.yaml": [
      'targets[0].role_arn: "arn:aws:iam::12345:role/short-account" is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)',
      "targets[0].regions: must be a list of regions",
      "targets[1].regions: must list at least one region",
      'targets[1]: unknown key "colour"',
      "targets[1].external_id: needs role_arn: an external id is only sent when assuming a role",
      'targets[2].filters[0]: unknown filter key "Nope" (one of InstanceId, Name, AssociationId, AssociationStatusName, LastExecutedBefore, LastExecutedAfter, AssociationName, ResourceGroupName, CloudConnectorId)',
      'targets[2].filters[1]: "Name" is not KEY=VALUE',
    ],
    "duplicate-target.bad.yaml": ['targets[1].regions[0]: "eu-west-1" is already polled with the same credentials by targets[0]'],
    "empty.bad.yaml": ["targets: must list at least one target"],
    "organization.bad.yaml": [
      'organization.member_role: "arn:aws:iam::123456789012:role/fixed" is not an IAM role ARN with {account_id} for the account (arn:aws:iam::{account_id}:role/NAME)',
      'organization.organizational_units[0]: "ou-nope" is not a root (r-…) or organizational unit (ou-…-…) id',
      "organization.external_id: needs role_arn: an external id is only sent when assuming a role",
      'organization.regions[1]: "us-east-1" is listed twice',
      'organization.include_accounts[0]: "111122223333" is also in exclude_accounts',
    ],
    "unknown-top-level.bad.yaml": ['unknown key "target"', "targets: is missing: list the targets to poll (or discover them with an organization section)"],
  };

  it.each(Object.entries(bad))("%s: names the offending entry, one line per problem", (name, expected) => {
    expect(problemsOf(fixture(name))).toEqual(expected.map((line) => `${fixture(name)}: ${line}`));
  });

  it("reports YAML syntax errors with their position", () => {
    const [problem, ...rest] = problemsOf(fixture("not-yaml.bad.yaml"));
    expect(rest).toEqual([]);
    expect(problem).toBe(`${fixture("not-yaml.bad.yaml")}: line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]`);
  });

  it("has a test for every fixture", () => {
    const fixtures = readdirSync(dir);
    expect(fixtures.filter((f) => f.endsWith(".bad.yaml")).sort()).toEqual([...Object.keys(bad), "not-yaml.bad.yaml"].sort());
    expect(fixtures.filter((f) => f.endsWith(".ok.yaml")).sort()).toEqual(["account-ids.ok.yaml", "multi-account.ok.yaml", "organization.ok.yaml", "single-account.ok.yaml"]);
  });

  it("is read through --config.file and SSM_EXPORTER_CONFIG_FILE", () => {
    const viaFlag = parseCommandLine([`--config.file=${fixture("multi-account.ok.yaml")}`], {}, "0");
    const viaEnv = parseCommandLine([], { SSM_EXPORTER_CONFIG_FILE: fixture("multi-account.ok.yaml") }, "0");
    for (const result of [viaFlag, viaEnv]) {
      expect(result.kind === "run" && result.config.targets.map((t) => t.roleArn)).toEqual([
        undefined,
        "arn:aws:iam::111122223333:role/ssm-association-exporter",
        "arn:aws:iam::444455556666:role/org/ssm-association-exporter",
      ]);
    }
  });

  it("cannot be combined with --aws.region or --ssm.filter, and its problems join the flags' problems", () => {
    try {
      parseCommandLine([`--config.file=${fixture("bad-region.bad.yaml")}`, "--aws.region=us-east-1", "--poll.interval=x"], {}, "0");
      throw new Error("accepted");
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        '--poll.interval: "x" is not a duration (use e.g. 30s, 5m, 1h)',
        `--aws.region: cannot be combined with --config.file; list regions and filters in the file`,
        `${fixture("bad-region.bad.yaml")}: targets[2].regions[0]: "us-eest-1" is not a region`,
      ]);
    }
  });
});
