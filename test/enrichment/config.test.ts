import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/config/config.js";
import { configProblems, runConfig } from "../config/command-line.js";

const run = runConfig;
const problems = configProblems;

const defaults = { describe: false, tags: undefined, failedTargets: undefined, intervalMs: 3_600_000, concurrency: 4 };

describe("--ssm.describe-associations, --ssm.describe-interval, --ssm.enrichment-concurrency", () => {
  it("is off by default; on with the flag or SSM_EXPORTER_SSM_DESCRIBE_ASSOCIATIONS=true, with 1h and 4 by default", () => {
    expect(run([]).enrichment).toBeUndefined();
    expect(run([], { SSM_EXPORTER_SSM_DESCRIBE_ASSOCIATIONS: "false" }).enrichment).toBeUndefined();
    expect(run(["--ssm.describe-associations"]).enrichment).toEqual({ ...defaults, describe: true });
    expect(run([], { SSM_EXPORTER_SSM_DESCRIBE_ASSOCIATIONS: "true" }).enrichment).toEqual({ ...defaults, describe: true });
    expect(
      run(["--ssm.describe-associations", "--ssm.describe-interval=15m"], { SSM_EXPORTER_SSM_ENRICHMENT_CONCURRENCY: "32" }).enrichment,
    ).toEqual({ ...defaults, describe: true, intervalMs: 900_000, concurrency: 32 });
  });

  it("names every bad value", () => {
    expect(problems([], { SSM_EXPORTER_SSM_DESCRIBE_ASSOCIATIONS: "yes" })).toEqual(['SSM_EXPORTER_SSM_DESCRIBE_ASSOCIATIONS: "yes" is not true or false']);
    expect(problems(["--ssm.enrichment-concurrency=0", "--ssm.describe-interval=soon"])).toEqual([
      '--ssm.describe-interval: "soon" is not a duration (use e.g. 30s, 5m, 1h)',
      '--ssm.enrichment-concurrency: "0" is not a whole number from 1 to 32',
    ]);
    expect(problems(["--ssm.enrichment-concurrency=33"])).toEqual(['--ssm.enrichment-concurrency: "33" is not a whole number from 1 to 32']);
    // The old name of the concurrency flag is refused like any unknown flag, not silently ignored.
    expect(problems(["--ssm.describe-concurrency=8"])).toEqual(["unknown flag --ssm.describe-concurrency (see --help)"]);
  });

  it("is listed by --help with its variable", () => {
    const help = parseCommandLine(["--help"], {}, "1.2.3");
    if (help.kind !== "help") throw new Error("expected help");
    expect(help.text).toContain("--ssm.describe-associations");
    expect(help.text).toContain("SSM_EXPORTER_SSM_DESCRIBE_ASSOCIATIONS=true");
    expect(help.text).toContain("--ssm.describe-interval <duration>");
    expect(help.text).toContain("--ssm.enrichment-concurrency <n>");
    for (const flag of ["--ssm.tags ", "--ssm.tag <key>", "--ssm.failed-targets ", "--ssm.failed-targets.max-per-association <n>", "--ssm.failed-targets.max-per-account-region <n>"]) {
      expect(help.text).toContain(flag);
    }
    expect(help.text).toContain("SSM_EXPORTER_SSM_TAGS=true");
    expect(help.text).toContain("SSM_EXPORTER_SSM_FAILED_TARGETS=true");
  });
});

describe("--ssm.tags and --ssm.tag", () => {
  it("takes keys repeated or comma-separated, from flags or SSM_EXPORTER_SSM_TAG, each once, ordered by label", () => {
    expect(run(["--ssm.tags", "--ssm.tag=team,owner", "--ssm.tag", "cost-center", "--ssm.tag=team"]).enrichment).toEqual({
      ...defaults,
      tags: [
        { key: "cost-center", label: "tag_cost_center" },
        { key: "owner", label: "tag_owner" },
        { key: "team", label: "tag_team" },
      ],
    });
    expect(run([], { SSM_EXPORTER_SSM_TAGS: "true", SSM_EXPORTER_SSM_TAG: "aws:cloudformation:stack-name, Team" }).enrichment?.tags).toEqual([
      { key: "Team", label: "tag_Team" },
      { key: "aws:cloudformation:stack-name", label: "tag_aws_cloudformation_stack_name" },
    ]);
  });

  it("refuses --ssm.tags without keys, keys without --ssm.tags, and keys AWS would refuse", () => {
    expect(problems(["--ssm.tags"])).toEqual(["--ssm.tags: no tag key to export; name them with --ssm.tag (e.g. --ssm.tag=team,owner)"]);
    expect(problems(["--ssm.tags", "--ssm.tag=,"])).toEqual(["--ssm.tags: no tag key to export; name them with --ssm.tag (e.g. --ssm.tag=team,owner)"]);
    expect(problems(["--ssm.tag=team"])).toEqual(["--ssm.tag: needs --ssm.tags (or SSM_EXPORTER_SSM_TAGS=true)"]);
    expect(problems([], { SSM_EXPORTER_SSM_TAG: "team" })).toEqual(["SSM_EXPORTER_SSM_TAG: needs --ssm.tags (or SSM_EXPORTER_SSM_TAGS=true)"]);
    expect(problems(["--ssm.tags", "--ssm.tag=team", "--ssm.tag=owner#1", `--ssm.tag=${"k".repeat(129)}`])).toEqual([
      '--ssm.tag: "owner#1" is not a tag key (1 to 128 letters, digits, spaces and _ . : / = + - @)',
      `--ssm.tag: "${"k".repeat(129)}" is not a tag key (1 to 128 letters, digits, spaces and _ . : / = + - @)`,
    ]);
  });
});

describe("--ssm.failed-targets", () => {
  it("is off by default; 20 per association and 1000 per account and region unless set", () => {
    expect(run(["--ssm.failed-targets"]).enrichment).toEqual({ ...defaults, failedTargets: { maxPerAssociation: 20, maxPerAccountRegion: 1000 } });
    expect(
      run(["--ssm.failed-targets", "--ssm.failed-targets.max-per-association=5"], { SSM_EXPORTER_SSM_FAILED_TARGETS_MAX_PER_ACCOUNT_REGION: "50" }).enrichment?.failedTargets,
    ).toEqual({ maxPerAssociation: 5, maxPerAccountRegion: 50 });
  });

  it("names bad caps", () => {
    expect(problems(["--ssm.failed-targets", "--ssm.failed-targets.max-per-association=0", "--ssm.failed-targets.max-per-account-region=lots"])).toEqual([
      '--ssm.failed-targets.max-per-association: "0" is not a whole number from 1 to 1000',
      '--ssm.failed-targets.max-per-account-region: "lots" is not a whole number from 1 to 100000',
    ]);
  });

  it("all three together share the interval and the concurrency", () => {
    expect(run(["--ssm.describe-associations", "--ssm.tags", "--ssm.tag=team", "--ssm.failed-targets", "--ssm.enrichment-concurrency=8"]).enrichment).toEqual({
      describe: true,
      tags: [{ key: "team", label: "tag_team" }],
      failedTargets: { maxPerAssociation: 20, maxPerAccountRegion: 1000 },
      intervalMs: 3_600_000,
      concurrency: 8,
    });
  });
});
