import { DescribeAssociationExecutionsCommand, DescribeAssociationExecutionTargetsCommand, SSMClient } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import type { RunningSimulator } from "../../dev/simulator/server.js";
import type { WireAssociation } from "../../dev/simulator/types.js";
import { promtoolCheckMetrics } from "../promtool.js";
import { sampleValue, samples } from "../integration/stack.js";
import { closeStacksAfterEach, REGION, SCOPE, startEnrichmentStack, type EnrichmentStack } from "./stack.js";

closeStacksAfterEach();

const N = 60;
const INFO = "aws_ssm_association_failed_target_info";
const LEFT_OUT = "aws_ssm_association_failed_targets_left_out";
const EXECUTIONS = "DescribeAssociationExecutions";
const TARGETS = "DescribeAssociationExecutionTargets";

const failedCount = (a: WireAssociation): number => a.Overview?.AssociationStatusAggregatedCount?.Failed ?? 0;
const failing = (stack: EnrichmentStack): WireAssociation[] => stack.simulator.sim.getAssociations(SCOPE).filter((a) => failedCount(a) > 0);

/** The latest execution's failed targets as the simulator answers them, through the real SDK (all pages). */
async function failedTargetsNow(simulator: RunningSimulator, associationId: string) {
  const client = new SSMClient({ region: REGION, endpoint: simulator.url });
  try {
    const executions = await client.send(new DescribeAssociationExecutionsCommand({ AssociationId: associationId, MaxResults: 1 }));
    const executionId = executions.AssociationExecutions?.[0]?.ExecutionId ?? "";
    const targets: { resource_id: string; resource_type: string; detailed_status: string }[] = [];
    let NextToken: string | undefined;
    do {
      const page = await client.send(
        new DescribeAssociationExecutionTargetsCommand({ AssociationId: associationId, ExecutionId: executionId, Filters: [{ Key: "Status", Value: "Failed" }], NextToken }),
      );
      for (const t of page.AssociationExecutionTargets ?? []) {
        targets.push({ resource_id: t.ResourceId ?? "", resource_type: t.ResourceType ?? "", detailed_status: t.DetailedStatus ?? "" });
      }
      NextToken = page.NextToken;
    } while (NextToken !== undefined);
    return { executionId, targets };
  } finally {
    client.destroy();
  }
}

const byResource = (a: { resource_id?: string }, b: { resource_id?: string }) => (a.resource_id ?? "").localeCompare(b.resource_id ?? "");

describe("--ssm.failed-targets", () => {
  it("reads only associations with failed targets, once each, and exports exactly the simulator's failed targets of their latest execution", async () => {
    const stack = await startEnrichmentStack(["--ssm.failed-targets"], N);
    const withFailures = failing(stack);
    expect(withFailures.length).toBeGreaterThan(1);
    expect(withFailures.length).toBeLessThan(N);
    expect([stack.calls(EXECUTIONS), stack.calls(TARGETS)]).toEqual([withFailures.length, withFailures.length]);
    for (let poll = 2; poll <= 10; poll++) await stack.poll();
    stack.clock.ms += 7 * 86_400_000; // time alone never reads them again
    await stack.poll();
    expect([stack.calls(EXECUTIONS), stack.calls(TARGETS)]).toEqual([withFailures.length, withFailures.length]);

    const text = await stack.scrape();
    expect(promtoolCheckMetrics(text)).toBe("");
    expect(sampleValue(text, "aws_ssm_exporter_api_requests_total", { operation: EXECUTIONS, outcome: "success" })).toBe(withFailures.length);
    expect(sampleValue(text, "aws_ssm_exporter_api_requests_total", { operation: TARGETS, outcome: "success" })).toBe(withFailures.length);
    const exported = samples(text, INFO);
    expect(new Set(exported.map((s) => s.labels.association_id))).toEqual(new Set(withFailures.map((a) => a.AssociationId)));
    for (const a of withFailures) {
      const want = await failedTargetsNow(stack.simulator, a.AssociationId);
      expect(want.targets.length, a.AssociationId).toBe(failedCount(a));
      const got = exported.filter((s) => s.labels.association_id === a.AssociationId);
      expect(got.every((s) => s.value === 1 && s.labels.execution_id === want.executionId && s.labels.document_name === a.Name)).toBe(true);
      expect(got.map((s) => ({ resource_id: s.labels.resource_id, resource_type: s.labels.resource_type, detailed_status: s.labels.detailed_status })).sort(byResource)).toEqual(
        want.targets.sort(byResource),
      );
      expect(sampleValue(text, LEFT_OUT, { association_id: a.AssociationId })).toBe(0);
    }
    expect(samples(text, LEFT_OUT)).toHaveLength(withFailures.length);
  });

  it("a new execution costs two calls for a failing association and none for a recovered one, whose series go at once", async () => {
    const stack = await startEnrichmentStack(["--ssm.failed-targets"], N);
    const { sim } = stack.simulator;
    const [stillFailing, recovering] = failing(stack);
    if (stillFailing === undefined || recovering === undefined) throw new Error("the seed needs two failing associations");
    const base = [stack.calls(EXECUTIONS), stack.calls(TARGETS)];
    const now = Math.floor(Date.now() / 1000) + 60;
    sim.updateAssociation(SCOPE, stillFailing.AssociationId, { LastExecutionDate: now });
    sim.setStatus(SCOPE, recovering.AssociationId, "Success");
    sim.updateAssociation(SCOPE, recovering.AssociationId, { LastExecutionDate: now });
    const healthy = sim.getAssociations(SCOPE).find((a) => failedCount(a) === 0 && a.Overview?.Status === "Success");
    if (healthy === undefined) throw new Error("the seed needs a healthy association");
    sim.updateAssociation(SCOPE, healthy.AssociationId, { LastExecutionDate: now }); // ran, still healthy: no call
    await stack.poll();
    expect([stack.calls(EXECUTIONS), stack.calls(TARGETS)]).toEqual([(base[0] ?? 0) + 1, (base[1] ?? 0) + 1]);
    const text = await stack.scrape();
    const latest = await failedTargetsNow(stack.simulator, stillFailing.AssociationId);
    const series = samples(text, INFO).filter((s) => s.labels.association_id === stillFailing.AssociationId);
    expect(series.length).toBeGreaterThan(0);
    expect(new Set(series.map((s) => s.labels.execution_id))).toEqual(new Set([latest.executionId]));
    expect(samples(text, INFO).some((s) => s.labels.association_id === recovering.AssociationId)).toBe(false);
    expect(sampleValue(text, LEFT_OUT, { association_id: recovering.AssociationId })).toBeUndefined();
  });

  it("caps per association and per account×region, counting what they leave out; more than 50 failed targets are read page by page", async () => {
    const stack = await startEnrichmentStack(["--ssm.failed-targets", "--ssm.failed-targets.max-per-association=70", "--ssm.failed-targets.max-per-account-region=100"], N);
    const { sim } = stack.simulator;
    const big = failing(stack)[0];
    if (big === undefined) throw new Error("no failing association");
    sim.updateAssociation(SCOPE, big.AssociationId, {
      Overview: { ...big.Overview, Status: "Failed", DetailedStatus: "Failed", AssociationStatusAggregatedCount: { Failed: 120, Success: 5 } },
      LastExecutionDate: Math.floor(Date.now() / 1000) + 60,
    });
    const targetCalls = stack.calls(TARGETS);
    await stack.poll();
    expect(stack.calls(TARGETS) - targetCalls).toBe(2); // 50 + 20: the cap stops the reading, a third page is never asked for
    const text = await stack.scrape();
    expect(samples(text, INFO).filter((s) => s.labels.association_id === big.AssociationId)).toHaveLength(70);
    expect(sampleValue(text, LEFT_OUT, { association_id: big.AssociationId })).toBe(50);

    const total = failing(stack).reduce((n, a) => n + Math.min(70, failedCount(a)), 0);
    expect(total).toBeGreaterThan(100);
    expect(samples(text, INFO)).toHaveLength(100);
    const leftOut = samples(text, LEFT_OUT).reduce((n, s) => n + s.value, 0);
    expect(leftOut).toBe(failing(stack).reduce((n, a) => n + failedCount(a), 0) - 100);
  });

  it("a failing read keeps the association's last failed targets, up stays 1, and the failure is counted", async () => {
    const stack = await startEnrichmentStack(["--ssm.failed-targets", "--aws.max-attempts=1"], N);
    const { sim } = stack.simulator;
    const a = failing(stack)[0];
    if (a === undefined) throw new Error("no failing association");
    const before = samples(await stack.scrape(), INFO).filter((s) => s.labels.association_id === a.AssociationId);
    sim.updateAssociation(SCOPE, a.AssociationId, { LastExecutionDate: Math.floor(Date.now() / 1000) + 60 });
    sim.injectFault({ kind: "ThrottlingException", count: 1, operation: TARGETS, region: REGION });
    await stack.poll();
    const during = await stack.scrape();
    expect(sampleValue(during, "aws_ssm_exporter_up", { region: REGION })).toBe(1);
    expect(samples(during, INFO).filter((s) => s.labels.association_id === a.AssociationId)).toEqual(before);
    expect(sampleValue(during, "aws_ssm_exporter_enrichment_failures_total", { operation: TARGETS, outcome: "ThrottlingException" })).toBe(1);
    expect(stack.logLines.filter((l) => l.operation === TARGETS && l.aws_error === "ThrottlingException")).toHaveLength(1);
    await stack.poll(); // still due: read again
    const after = samples(await stack.scrape(), INFO).filter((s) => s.labels.association_id === a.AssociationId);
    const latest = await failedTargetsNow(stack.simulator, a.AssociationId);
    expect(new Set(after.map((s) => s.labels.execution_id))).toEqual(new Set([latest.executionId]));
    expect(latest.executionId).not.toBe(before[0]?.labels.execution_id);
  });

  it("tag labels and the failed-target families scraped as OpenMetrics: the same samples as the text format", async () => {
    const stack = await startEnrichmentStack(["--ssm.failed-targets", "--ssm.tags", "--ssm.tag=team,cost-center"], N);
    const text = await stack.scrape();
    const reply = await fetch(`${stack.exporter.server.url}/metrics`, { headers: { accept: "application/openmetrics-text; version=1.0.0" } });
    expect(reply.headers.get("content-type")).toMatch(/^application\/openmetrics-text/);
    const om = await reply.text();
    expect(om.trimEnd().endsWith("# EOF")).toBe(true);
    for (const family of [INFO, LEFT_OUT, "aws_ssm_association_info"]) {
      const lines = (body: string) => body.split("\n").filter((l) => l.startsWith(`${family}{`)).sort();
      expect(lines(text).length, family).toBeGreaterThan(0);
      expect(lines(om), family).toEqual(lines(text));
    }
    expect(om).toContain(",tag_cost_center=");
  });

  it("flag off: no execution call and neither family", async () => {
    const stack = await startEnrichmentStack([], N);
    expect(stack.calls(EXECUTIONS) + stack.calls(TARGETS)).toBe(0);
    const text = await stack.scrape();
    expect(text).not.toContain(INFO);
    expect(text).not.toContain(LEFT_OUT);
  });
});
