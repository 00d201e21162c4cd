import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { COMMON_LABELS } from "../../src/exposition/families.js";
import { skipWithout } from "../debian-tools.js";

// The shipped Alertmanager inhibition rules (helm/ssm-association-exporter/files/alertmanager-inhibit-rules.yaml):
// what they say, checked here, and that Alertmanager accepts them, checked by amtool (Debian's
// prometheus-alertmanager package, which ships amtool; installed by .ci/run). Without it the amtool tests
// skip with a one-line reason, except under CI=true, where they fail. That the rule mutes
// SsmAssociationTargetsFailed while SsmAssociationFailed fires, one notification per association, is proven
// against a real Alertmanager by the end-to-end test.

const SHIPPED = new URL("../../helm/ssm-association-exporter/files/alertmanager-inhibit-rules.yaml", import.meta.url);
const ALERTS = new URL("../../helm/ssm-association-exporter/files/alerts.yaml", import.meta.url);

interface InhibitRule {
  source_matchers?: string[];
  target_matchers?: string[];
  equal?: string[];
  [deprecated: string]: unknown;
}

const text = readFileSync(SHIPPED, "utf8");
const file = parse(text) as { inhibit_rules: InhibitRule[] };
const alertNames = (parse(readFileSync(ALERTS, "utf8")) as { groups: { rules: { alert?: string }[] }[] }).groups
  .flatMap((g) => g.rules)
  .flatMap((r) => (r.alert ? [r.alert] : []));

const scratch = mkdtempSync(join(tmpdir(), "inhibit-rules-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `amtool check-config` on an Alertmanager configuration: a minimal route and receiver plus `inhibitRules`. */
function checkConfig(inhibitRules: unknown): { status: number | null; output: string } {
  const path = join(scratch, `alertmanager-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(path, stringify({ route: { receiver: "null" }, receivers: [{ name: "null" }], inhibit_rules: inhibitRules }));
  const result = spawnSync("amtool", ["check-config", path], { encoding: "utf8", timeout: 60_000 });
  if (result.error) throw new Error(`cannot run amtool (install Debian's prometheus-alertmanager package): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

describe("alertmanager-inhibit-rules.yaml", () => {
  it("is a plain `inhibit_rules:` list of modern matchers", () => {
    expect(Object.keys(file)).toEqual(["inhibit_rules"]);
    for (const rule of file.inhibit_rules) {
      // source_match / target_match (and their _re forms) are deprecated since Alertmanager 0.22.
      expect(Object.keys(rule).sort()).toEqual(["equal", "source_matchers", "target_matchers"]);
    }
  });

  it("mutes SsmAssociationTargetsFailed while SsmAssociationFailed fires for the same association", () => {
    expect(file.inhibit_rules).toEqual([
      {
        source_matchers: ["alertname = SsmAssociationFailed"],
        target_matchers: ["alertname = SsmAssociationTargetsFailed"],
        equal: ["account_id", "region", "association_id"],
      },
    ]);
  });

  it("names only alerts of alerts.yaml, and compares only labels every association alert has", () => {
    for (const rule of file.inhibit_rules) {
      for (const matcher of [...(rule.source_matchers ?? []), ...(rule.target_matchers ?? [])]) {
        const name = /^alertname = (\w+)$/.exec(matcher)?.[1];
        expect(alertNames, matcher).toContain(name);
      }
      // association_name is absent on associations without one, and `equal` treats absent as equal: never use it.
      const always: readonly string[] = COMMON_LABELS.filter((l) => l !== "association_name");
      for (const label of rule.equal ?? []) expect(always, label).toContain(label);
    }
  });

  describe.skipIf(skipWithout("prometheus-alertmanager"))("amtool check-config", () => {
    it("accepts the rules in an Alertmanager configuration", () => {
      const result = checkConfig(file.inhibit_rules);
      expect(result.status, result.output).toBe(0);
      expect(result.output).toContain("SUCCESS");
      expect(result.output).toContain(`${file.inhibit_rules.length} inhibit rules`);
    });

    it.each([
      ["a matcher with an unknown operator", { target_matchers: ["alertname ~ SsmAssociationTargetsFailed"] }, "bad matcher format"],
      ["an invalid label name in equal", { equal: ["account_id", "association-id"] }, "not a valid label name"],
    ])("rejects %s (so the check is not vacuous)", (_name, change, message) => {
      const result = checkConfig(file.inhibit_rules.map((rule) => ({ ...rule, ...change })));
      expect(result.status).not.toBe(0);
      expect(result.output).toContain(message);
    });
  });
});
