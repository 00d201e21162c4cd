import { describe, expect, it } from "vitest";
import { ConfigError, parseCommandLine, type Config } from "../../src/config/config.js";

function run(argv: string[], env: NodeJS.ProcessEnv = {}): Config {
  const result = parseCommandLine(argv, env, "1.2.3", "eu-west-1");
  if (result.kind !== "run") throw new Error(`expected a run, got ${result.kind}`);
  return result.config;
}

function problems(argv: string[], env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    run(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("--ssm.describe-associations, --ssm.describe-interval, --ssm.describe-concurrency", () => {
  it("is off by default; on with the flag or SSM_EXPORTER_SSM_DESCRIBE_ASSOCIATIONS=true, with 1h and 4 by default", () => {
    expect(run([]).describe).toBeUndefined();
    expect(run([], { SSM_EXPORTER_SSM_DESCRIBE_ASSOCIATIONS: "false" }).describe).toBeUndefined();
    expect(run(["--ssm.describe-associations"]).describe).toEqual({ intervalMs: 3_600_000, concurrency: 4 });
    expect(run([], { SSM_EXPORTER_SSM_DESCRIBE_ASSOCIATIONS: "true" }).describe).toEqual({ intervalMs: 3_600_000, concurrency: 4 });
    expect(
      run(["--ssm.describe-associations", "--ssm.describe-interval=15m"], { SSM_EXPORTER_SSM_DESCRIBE_CONCURRENCY: "32" }).describe,
    ).toEqual({ intervalMs: 900_000, concurrency: 32 });
  });

  it("names every bad value", () => {
    expect(problems([], { SSM_EXPORTER_SSM_DESCRIBE_ASSOCIATIONS: "yes" })).toEqual(['SSM_EXPORTER_SSM_DESCRIBE_ASSOCIATIONS: "yes" is not true or false']);
    expect(problems(["--ssm.describe-concurrency=0", "--ssm.describe-interval=soon"])).toEqual([
      '--ssm.describe-interval: "soon" is not a duration (use e.g. 30s, 5m, 1h)',
      '--ssm.describe-concurrency: "0" is not a whole number from 1 to 32',
    ]);
    expect(problems(["--ssm.describe-concurrency=33"])).toEqual(['--ssm.describe-concurrency: "33" is not a whole number from 1 to 32']);
  });

  it("is listed by --help with its variable", () => {
    const help = parseCommandLine(["--help"], {}, "1.2.3");
    if (help.kind !== "help") throw new Error("expected help");
    expect(help.text).toContain("--ssm.describe-associations");
    expect(help.text).toContain("SSM_EXPORTER_SSM_DESCRIBE_ASSOCIATIONS=true");
    expect(help.text).toContain("--ssm.describe-interval <duration>");
    expect(help.text).toContain("--ssm.describe-concurrency <n>");
  });
});
