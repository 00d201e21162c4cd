import { spawnSync } from "node:child_process";

/**
 * `promtool check metrics` from Debian's prometheus package (installed by .ci/run). Returns what it
 * printed; empty means clean. Fails loudly when promtool is missing rather than skipping the check.
 */
export function promtoolCheckMetrics(exposition: string): string {
  const result = spawnSync("promtool", ["check", "metrics"], { input: exposition, encoding: "utf8" });
  if (result.error) throw new Error(`promtool is not installed (apt-get install prometheus): ${result.error.message}`);
  return `${result.stdout}${result.stderr}`.trim() + (result.status === 0 ? "" : `\n(exit ${result.status})`);
}
