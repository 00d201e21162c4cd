import { ConfigError, parseCommandLine, type Config } from "../../src/config/config.js";

/** The Config of a command line that must be accepted (the SDK region chain answers eu-west-1). */
export function runConfig(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Config {
  const result = parseCommandLine(argv, env, "1.2.3", "eu-west-1");
  if (result.kind !== "run") throw new Error(`expected a run, got ${result.kind}`);
  return result.config;
}

/** The problems a command line is refused with; [] when it is accepted. */
export function configProblems(argv: readonly string[], env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    runConfig(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}
