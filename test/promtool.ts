import { spawnSync } from "node:child_process";
import { skipReason } from "./debian-tools.js";

/**
 * `promtool check metrics` from Debian's prometheus package (installed by .ci/run). Returns what it
 * printed; empty means clean. Without promtool the check is skipped with a one-line reason naming the
 * package, except under CI=true, where a missing promtool fails the test.
 */
export function promtoolCheckMetrics(exposition: string): string {
  if (skipReason("promtool") !== undefined) return "";
  const result = spawnSync("promtool", ["check", "metrics"], { input: exposition, encoding: "utf8" });
  if (result.error) throw new Error(`promtool could not run: ${result.error.message}`);
  return `${result.stdout}${result.stderr}`.trim() + (result.status === 0 ? "" : `\n(exit ${result.status})`);
}
