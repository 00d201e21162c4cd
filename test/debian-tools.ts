import { spawnSync } from "node:child_process";

/**
 * Debian tools some tests run, and the package that installs each. `.ci/run` installs them; on a machine
 * with only Node the tests that need them skip, saying which package to install. Under CI=true (or
 * SSM_EXPORTER_REQUIRE_TOOLS=1) a missing tool fails the run instead: CI must never pass by skipping.
 */
const PACKAGES = { promtool: "prometheus", prometheus: "prometheus", "prometheus-alertmanager": "prometheus-alertmanager" } as const;
export type DebianTool = keyof typeof PACKAGES;

export const TOOLS_REQUIRED = process.env.CI === "true" || process.env.SSM_EXPORTER_REQUIRE_TOOLS === "1";

const found = new Map<DebianTool, boolean>();
const told = new Set<DebianTool>();

export function hasTool(tool: DebianTool): boolean {
  let present = found.get(tool);
  if (present === undefined) {
    present = spawnSync(tool, ["--version"], { encoding: "utf8", timeout: 10_000 }).error === undefined;
    found.set(tool, present);
  }
  return present;
}

/** The one-line reason a test skips for want of `tool`, printed once per test file; undefined when it runs. */
export function skipReason(tool: DebianTool): string | undefined {
  if (hasTool(tool)) return undefined;
  const reason = `${tool} is not installed: skipped (apt-get install ${PACKAGES[tool]}; under CI=true this fails instead)`;
  if (TOOLS_REQUIRED) throw new Error(`${tool} is not installed and CI=true requires it (apt-get install ${PACKAGES[tool]})`);
  if (!told.has(tool)) {
    told.add(tool);
    process.stderr.write(`${reason}\n`);
  }
  return reason;
}

/** For `it.skipIf(...)` / `describe.skipIf(...)`: true when `tool` is missing and not required. */
export function skipWithout(tool: DebianTool): boolean {
  return skipReason(tool) !== undefined;
}
