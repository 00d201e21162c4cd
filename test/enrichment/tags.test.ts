import { ListTagsForResourceCommand, SSMClient } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import type { RunningSimulator } from "../../dev/simulator/server.js";
import { promtoolCheckMetrics } from "../promtool.js";
import { sampleValue, samples } from "../integration/stack.js";
import { closeStacksAfterEach, REGION, SCOPE, startEnrichmentStack } from "./stack.js";

closeStacksAfterEach();

const N = 40;
const INFO = "aws_ssm_association_info";
const HOUR = 3_600_000;
const TAGS = ["--ssm.tags", "--ssm.tag=team,owner", "--ssm.tag=cost-center"];

/** What ListTagsForResource answers now, through the real SDK (counted by the simulator too). */
async function tagsNow(simulator: RunningSimulator, associationId: string): Promise<Map<string, string>> {
  const client = new SSMClient({ region: REGION, endpoint: simulator.url });
  try {
    const out = await client.send(new ListTagsForResourceCommand({ ResourceType: "Association", ResourceId: associationId }));
    return new Map((out.TagList ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
  } finally {
    client.destroy();
  }
}

describe("--ssm.tags", () => {
  it("adds the allow-listed tags, and only them, to aws_ssm_association_info as tag_<key> labels; no other family gets them", async () => {
    const stack = await startEnrichmentStack(TAGS, N);
    expect(stack.calls("ListTagsForResource")).toBe(N);
    const text = await stack.scrape();
    const info = samples(text, INFO);
    expect(info).toHaveLength(N);
    const seen = { team: 0, untagged: 0, notAllowListed: 0 };
    for (const a of stack.simulator.sim.getAssociations(SCOPE)) {
      const tags = await tagsNow(stack.simulator, a.AssociationId);
      const series = info.find((s) => s.labels.association_id === a.AssociationId);
      expect(series?.labels, a.AssociationId).toMatchObject({
        tag_team: tags.get("team") ?? "",
        tag_owner: tags.get("owner") ?? "",
        tag_cost_center: tags.get("cost-center") ?? "",
      });
      if (tags.has("team")) seen.team++;
      if (tags.size === 0) seen.untagged++;
      if ([...tags.keys()].some((k) => !["team", "owner", "cost-center"].includes(k))) seen.notAllowListed++;
    }
    // The seeded data has tagged, untagged, and tags that are not allow-listed (env, aws:cloudformation:...).
    expect(seen.team).toBeGreaterThan(0);
    expect(seen.untagged).toBeGreaterThan(0);
    expect(seen.notAllowListed).toBeGreaterThan(0);
    expect(Object.keys(info[0]?.labels ?? {}).filter((l) => l.startsWith("tag_")).sort()).toEqual(["tag_cost_center", "tag_owner", "tag_team"]);
    // Never a tag that is not allow-listed, and never a tag label off the info family.
    expect(text).not.toMatch(/tag_env|tag_aws/);
    for (const s of samples(text)) if (s.name !== INFO) expect(Object.keys(s.labels).some((l) => l.startsWith("tag_")), s.name).toBe(false);
    expect(promtoolCheckMetrics(text)).toBe("");
    expect(sampleValue(text, "aws_ssm_exporter_api_requests_total", { operation: "ListTagsForResource", outcome: "success" })).toBe(N);
    expect(stack.logLines.find((l) => l.msg === "exporter started")?.tags).toEqual([
      { key: "cost-center", label: "tag_cost_center" },
      { key: "owner", label: "tag_owner" },
      { key: "team", label: "tag_team" },
    ]);
  });

  it("is read again only when the association changes or after --ssm.describe-interval: a retag alone shows within the interval", async () => {
    const stack = await startEnrichmentStack(TAGS, N);
    const id = stack.idOf(4);
    stack.simulator.sim.setTags(SCOPE, id, [{ Key: "team", Value: "new-team" }]);
    for (let poll = 2; poll <= 5; poll++) await stack.poll();
    expect(stack.calls("ListTagsForResource")).toBe(N);
    expect(sampleValue(await stack.scrape(), INFO, { association_id: id })).toBe(1);
    expect(samples(await stack.scrape(), INFO).find((s) => s.labels.association_id === id)?.labels.tag_team).not.toBe("new-team");

    const other = stack.idOf(9);
    const version = Number(stack.simulator.sim.getAssociations(SCOPE)[9]?.AssociationVersion ?? "1");
    stack.simulator.sim.updateAssociation(SCOPE, other, { AssociationVersion: String(version + 1) });
    await stack.poll();
    expect(stack.calls("ListTagsForResource")).toBe(N + 1); // only the changed one

    stack.clock.ms += HOUR;
    await stack.poll();
    expect(stack.calls("ListTagsForResource")).toBe(2 * N + 1);
    const info = samples(await stack.scrape(), INFO).find((s) => s.labels.association_id === id);
    expect(info?.labels).toMatchObject({ tag_team: "new-team", tag_owner: "", tag_cost_center: "" });
  });

  it("a failing ListTagsForResource (throttled, an empty object) keeps the last labels, up stays 1, and is counted under its operation", async () => {
    const stack = await startEnrichmentStack([...TAGS, "--aws.max-attempts=1"], N);
    const { sim } = stack.simulator;
    const before = samples(await stack.scrape(), INFO);
    const ids = [stack.idOf(1), stack.idOf(2)];
    for (const id of ids) {
      sim.setTags(SCOPE, id, [{ Key: "team", Value: "changed" }]);
      sim.updateAssociation(SCOPE, id, { AssociationVersion: "99" });
    }
    sim.injectFault({ kind: "ThrottlingException", count: 1, operation: "ListTagsForResource", region: REGION });
    sim.injectFault({ kind: "emptyObject200", count: 1, operation: "ListTagsForResource", region: REGION });
    await stack.poll();
    const during = await stack.scrape();
    expect(sampleValue(during, "aws_ssm_exporter_up", { region: REGION })).toBe(1);
    for (const id of ids) {
      const old = before.find((s) => s.labels.association_id === id)?.labels;
      const now = samples(during, INFO).find((s) => s.labels.association_id === id)?.labels;
      expect({ ...now, association_version: "" }).toEqual({ ...old, association_version: "" });
      expect(now?.association_version).toBe("99");
    }
    expect(sampleValue(during, "aws_ssm_exporter_api_requests_total", { operation: "ListTagsForResource", outcome: "ThrottlingException" })).toBe(1);
    // The empty object was a 200 (an API success); it failed validation, which the failures counter tells.
    const failures = (outcome: string) => sampleValue(during, "aws_ssm_exporter_enrichment_failures_total", { operation: "ListTagsForResource", outcome });
    expect([failures("ThrottlingException"), failures("InvalidResponse")]).toEqual([1, 1]);
    const warnings = stack.logLines.filter((l) => l.operation === "ListTagsForResource");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: "warn", region: REGION, account_id: "123456789012", failed_associations: 2 });

    await stack.poll(); // both still due: read again, now answered
    const after = await stack.scrape();
    for (const id of ids) expect(samples(after, INFO).find((s) => s.labels.association_id === id)?.labels.tag_team).toBe("changed");
  });

  it("keys that sanitise to the same label get _conflict1, _conflict2 in key order", async () => {
    const stack = await startEnrichmentStack(["--ssm.tags", "--ssm.tag=cost.center,cost-center"], 3);
    const id = stack.idOf(0);
    stack.simulator.sim.setTags(SCOPE, id, [
      { Key: "cost-center", Value: "cc-1" },
      { Key: "cost.center", Value: "cc-2" },
    ]);
    stack.clock.ms += HOUR;
    await stack.poll();
    const labels = samples(await stack.scrape(), INFO).find((s) => s.labels.association_id === id)?.labels;
    expect(labels).toMatchObject({ tag_cost_center_conflict1: "cc-1", tag_cost_center_conflict2: "cc-2" });
    expect(labels).not.toHaveProperty("tag_cost_center");
  });

  it("flag off: no ListTagsForResource call and no tag label", async () => {
    const stack = await startEnrichmentStack([], N);
    await stack.poll();
    expect(stack.calls("ListTagsForResource")).toBe(0);
    const text = await stack.scrape();
    expect(text).not.toContain("tag_");
    expect(text).not.toContain('operation="ListTagsForResource"');
  });
});
