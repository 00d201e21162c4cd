import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { skipWithout } from "../debian-tools.js";

// Runs promtool (Debian's prometheus package, installed by .ci/run) on the shipped rule file and on every
// rule unit-test file in this directory. Without promtool these skip with a one-line reason, except under
// CI=true, where a missing promtool fails the suite.

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const RULES_DIR = fileURLToPath(new URL("./", import.meta.url));
const SHIPPED = "helm/ssm-association-exporter/files/alerts.yaml";
const testFiles = readdirSync(RULES_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync("promtool", args, { cwd: REPO, encoding: "utf8", timeout: 60_000 });
  if (result.error) throw new Error(`cannot run promtool (install Debian's prometheus package): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

function expectSuccess(result: { status: number | null; output: string }, what: string): void {
  if (result.status !== 0) throw new Error(`${what} exited with ${result.status}:\n${result.output}`);
}

describe.skipIf(skipWithout("promtool"))("Prometheus rules", () => {
  it(`promtool check rules ${SHIPPED} is clean`, () => {
    const result = promtool("check", "rules", SHIPPED);
    expectSuccess(result, "promtool check rules");
    expect(result.output).toMatch(/SUCCESS: 16 rules found/);
    expect(result.output).not.toMatch(/WARNING|error/i);
  });

  it.each(testFiles)("promtool test rules test/rules/%s passes", (file) => {
    expectSuccess(promtool("test", "rules", `test/rules/${file}`), `promtool test rules test/rules/${file}`);
  });
});

describe("Prometheus rule unit tests", () => {
  it("has rule unit tests, and they cover every alert", () => {
    expect(testFiles.length).toBeGreaterThan(0);
    const shipped = parse(readFileSync(new URL(`../../${SHIPPED}`, import.meta.url), "utf8")) as { groups: { rules: { alert?: string }[] }[] };
    const alerts = shipped.groups.flatMap((g) => g.rules).flatMap((r) => (r.alert ? [r.alert] : []));
    const tested = new Set<string>();
    for (const file of testFiles) {
      const unit = parse(readFileSync(new URL(file, import.meta.url), "utf8")) as {
        rule_files: string[];
        tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      };
      expect(unit.rule_files, file).toEqual([`../../${SHIPPED}`]);
      for (const t of unit.tests.flatMap((u) => u.alert_rule_test ?? [])) {
        // Count an alert as tested only when some test expects it to fire.
        if ((t.exp_alerts ?? []).length > 0) tested.add(t.alertname);
      }
    }
    expect(alerts.filter((a) => !tested.has(a))).toEqual([]);
  });
});
