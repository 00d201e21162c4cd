import { DescribeAssociationCommand, SSMClient } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import type { RunningSimulator } from "../../dev/simulator/server.js";
import { promtoolCheckMetrics } from "../promtool.js";
import { sampleValue, samples } from "../integration/stack.js";
import { closeStacksAfterEach, REGION, SCOPE, startEnrichmentStack } from "./stack.js";

const N = 40;
const HOUR = 3_600_000;
const LAST_SUCCESS = "aws_ssm_association_last_successful_execution_timestamp_seconds";
const DESCRIBE_INFO = "aws_ssm_association_describe_info";

closeStacksAfterEach();

async function start(flags: readonly string[]) {
  const stack = await startEnrichmentStack(flags, N);
  return { ...stack, calls: () => stack.calls("DescribeAssociation") };
}

/** What the simulator answers to DescribeAssociation now, through the real SDK (counted by the simulator too). */
async function describeNow(simulator: RunningSimulator, associationId: string) {
  const client = new SSMClient({ region: REGION, endpoint: simulator.url });
  try {
    const out = await client.send(new DescribeAssociationCommand({ AssociationId: associationId }));
    const d = out.AssociationDescription;
    if (d === undefined) throw new Error("no AssociationDescription");
    return d;
  } finally {
    client.destroy();
  }
}

describe("--ssm.describe-associations", () => {
  it(`N=${N}, 10 polls, one AssociationVersion change and one new execution (two different associations) → exactly N + 2 DescribeAssociation calls; the interval elapsing → N more`, async () => {
    const stack = await start(["--ssm.describe-associations"]);
    const { sim } = stack.simulator;
    expect(stack.calls()).toBe(N); // poll 1: every association is new
    const versioned = stack.idOf(3);
    const ran = stack.idOf(17);
    for (let poll = 2; poll <= 10; poll++) {
      if (poll === 4) {
        const current = Number(sim.getAssociations(SCOPE).find((a) => a.AssociationId === versioned)?.AssociationVersion ?? "1");
        sim.updateAssociation(SCOPE, versioned, { AssociationVersion: String(current + 1) });
      }
      if (poll === 7) sim.updateAssociation(SCOPE, ran, { LastExecutionDate: Math.floor(Date.now() / 1000) });
      await stack.poll();
    }
    expect(stack.calls()).toBe(N + 2);

    stack.clock.ms += 59 * 60_000; // not yet an hour
    await stack.poll();
    expect(stack.calls()).toBe(N + 2);
    stack.clock.ms += HOUR; // every answer is now older than --ssm.describe-interval (1h)
    await stack.poll();
    expect(stack.calls()).toBe(2 * N + 2);
    await stack.poll();
    expect(stack.calls()).toBe(2 * N + 2);

    const text = await stack.scrape();
    expect(sampleValue(text, "aws_ssm_exporter_api_requests_total", { operation: "DescribeAssociation", outcome: "success" })).toBe(2 * N + 2);
    expect(sampleValue(text, "aws_ssm_exporter_up", { region: REGION })).toBe(1);
  });

  it("both changes on the same association between two polls cost one call (N + 1)", async () => {
    const stack = await start(["--ssm.describe-associations"]);
    const id = stack.idOf(5);
    stack.simulator.sim.updateAssociation(SCOPE, id, { AssociationVersion: "9", LastExecutionDate: Math.floor(Date.now() / 1000) });
    for (let poll = 2; poll <= 10; poll++) await stack.poll();
    expect(stack.calls()).toBe(N + 1);
  });

  it("exports the simulator's DescribeAssociation answers; an association no longer listed loses its series", async () => {
    const stack = await start(["--ssm.describe-associations"]);
    const text = await stack.scrape();
    const info = samples(text, DESCRIBE_INFO);
    expect(info).toHaveLength(N);
    let withSuccess = 0;
    for (const a of stack.simulator.sim.getAssociations(SCOPE)) {
      const d = await describeNow(stack.simulator, a.AssociationId);
      const labels = { association_id: a.AssociationId };
      const series = info.find((s) => s.labels.association_id === a.AssociationId);
      expect(series?.labels, a.AssociationId).toMatchObject({
        account_id: "123456789012",
        region: REGION,
        document_name: a.Name,
        compliance_severity: d.ComplianceSeverity ?? "",
        sync_compliance: d.SyncCompliance ?? "",
        apply_only_at_cron_interval: d.ApplyOnlyAtCronInterval === undefined ? "" : String(d.ApplyOnlyAtCronInterval),
        calendar_names: (d.CalendarNames ?? []).join(","),
      });
      expect(series?.value).toBe(1);
      const expected = d.LastSuccessfulExecutionDate === undefined ? undefined : d.LastSuccessfulExecutionDate.getTime() / 1000;
      expect(sampleValue(text, LAST_SUCCESS, labels), a.AssociationId).toBe(expected);
      if (expected !== undefined) withSuccess++;
    }
    // The seeded data has both kinds: some never succeeded (no series), most did.
    expect(withSuccess).toBeGreaterThan(0);
    expect(withSuccess).toBeLessThan(N);
    expect(samples(text, LAST_SUCCESS)).toHaveLength(withSuccess);
    // aws_ssm_association_info keeps its labels: the describe properties are a family of their own.
    expect(Object.keys(samples(text, "aws_ssm_association_info")[0]?.labels ?? {}).sort()).toEqual(
      ["account_id", "region", "association_id", "association_name", "document_name", "document_version", "association_version", "schedule_expression"].sort(),
    );

    const gone = stack.idOf(0);
    stack.simulator.sim.deleteAssociation(SCOPE, gone);
    await stack.poll();
    const after = await stack.scrape();
    expect(samples(after, DESCRIBE_INFO)).toHaveLength(N - 1);
    expect(samples(after, DESCRIBE_INFO).some((s) => s.labels.association_id === gone)).toBe(false);
    expect(samples(after, LAST_SUCCESS).some((s) => s.labels.association_id === gone)).toBe(false);
  });

  it("a throttled DescribeAssociation keeps that association's last values, up stays 1, and the failure is counted", async () => {
    // One attempt per call: with retries the SDK would absorb a single ThrottlingException.
    const stack = await start(["--ssm.describe-associations", "--aws.max-attempts=1"]);
    const { sim } = stack.simulator;
    const before = await stack.scrape();
    const target = samples(before, LAST_SUCCESS)[0];
    const id = target?.labels.association_id;
    if (target === undefined || id === undefined) throw new Error("no association with a last successful execution");
    const oldValue = target.value;
    const oldInfo = samples(before, DESCRIBE_INFO).find((s) => s.labels.association_id === id);

    // A new successful run: DescribeAssociation would now tell a newer LastSuccessfulExecutionDate.
    const runAt = Math.floor(Date.now() / 1000) + 60;
    sim.setStatus(SCOPE, id, "Success");
    sim.updateAssociation(SCOPE, id, { LastExecutionDate: runAt });
    sim.injectFault({ kind: "ThrottlingException", count: 1, operation: "DescribeAssociation", region: REGION });
    const callsBefore = stack.calls();
    await stack.poll();
    expect(stack.calls()).toBe(callsBefore + 1); // only the changed association was due

    const during = await stack.scrape();
    expect(sampleValue(during, "aws_ssm_exporter_up", { region: REGION })).toBe(1);
    expect(sampleValue(during, LAST_SUCCESS, { association_id: id })).toBe(oldValue);
    expect(samples(during, DESCRIBE_INFO).find((s) => s.labels.association_id === id)).toEqual(oldInfo);
    expect(samples(during, DESCRIBE_INFO)).toHaveLength(N);
    expect(sampleValue(during, "aws_ssm_exporter_api_requests_total", { operation: "DescribeAssociation", outcome: "ThrottlingException" })).toBe(1);
    // The listing itself shows the new run: the poll was not failed by the enrichment.
    expect(sampleValue(during, "aws_ssm_association_last_execution_timestamp_seconds", { association_id: id })).toBe(runAt);
    expect(stack.logLines.some((l) => l.operation === "DescribeAssociation" && l.aws_error === "ThrottlingException" && l.failed_associations === 1)).toBe(true);

    // Still due (its cached details were read with the old LastExecutionDate): the next poll retries it.
    await stack.poll();
    expect(stack.calls()).toBe(callsBefore + 2);
    const expected = (await describeNow(stack.simulator, id)).LastSuccessfulExecutionDate;
    const after = await stack.scrape();
    expect(sampleValue(after, LAST_SUCCESS, { association_id: id })).toBe(expected === undefined ? undefined : expected.getTime() / 1000);
    expect(sampleValue(after, LAST_SUCCESS, { association_id: id })).toBeGreaterThan(oldValue);
  });

  it("calls still running at the poll's deadline never fail it: the listing is published with up 1 by --poll.timeout, and what was not read is read next poll", async () => {
    const stack = await startEnrichmentStack(["--ssm.describe-associations", "--poll.timeout=2s"], N, 7, (simulator) =>
      simulator.sim.injectFault({ kind: "slow", delayMs: 6_000, count: Infinity, operation: "DescribeAssociation", region: REGION }),
    );
    const first = await stack.scrape();
    expect(sampleValue(first, "aws_ssm_exporter_up", { region: REGION })).toBe(1);
    expect(samples(first, "aws_ssm_association_info")).toHaveLength(N);
    expect(samples(first, DESCRIBE_INFO)).toHaveLength(0);
    expect(sampleValue(first, "aws_ssm_exporter_poll_duration_seconds", { region: REGION })).toBeLessThan(3);
    expect(sampleValue(first, "aws_ssm_exporter_enrichment_failures_total", { operation: "DescribeAssociation", outcome: "PollTimeout" })).toBeUndefined();

    stack.simulator.sim.clearFaults();
    await stack.poll();
    expect(samples(await stack.scrape(), DESCRIBE_INFO)).toHaveLength(N);
  });

  it("serves the describe families in both formats: promtool-clean text, and the same samples in OpenMetrics", async () => {
    const stack = await start(["--ssm.describe-associations"]);
    const text = await stack.scrape();
    expect(promtoolCheckMetrics(text)).toBe("");
    const reply = await fetch(`${stack.exporter.server.url}/metrics`, { headers: { accept: "application/openmetrics-text; version=1.0.0" } });
    expect(reply.headers.get("content-type")).toMatch(/^application\/openmetrics-text/);
    const om = await reply.text();
    expect(om.trimEnd().endsWith("# EOF")).toBe(true);
    for (const family of [DESCRIBE_INFO, LAST_SUCCESS]) {
      const lines = (body: string) => body.split("\n").filter((l) => l.startsWith(`${family}{`)).sort();
      expect(lines(text).length, family).toBeGreaterThan(0);
      expect(lines(om), family).toEqual(lines(text));
      expect(om, family).toContain(`# TYPE ${family} gauge`);
    }
  });

  it("flag off: no DescribeAssociation call and no describe series, not even their HELP lines", async () => {
    const stack = await start([]);
    await stack.poll();
    await stack.poll();
    expect(stack.calls()).toBe(0);
    const text = await stack.scrape();
    expect(text).not.toContain(LAST_SUCCESS);
    expect(text).not.toContain(DESCRIBE_INFO);
    expect(text).not.toContain('operation="DescribeAssociation"');
    expect(samples(text, "aws_ssm_association_info")).toHaveLength(N);
  });
});
