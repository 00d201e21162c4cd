import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ACCOUNT_ID, DEMO_ENRICHMENT_FLAGS, demoSimulatorOptions, demoTargetsFile, describeSeeded, seededCounts } from "../../dev/demo-dataset.js";
import { runCli, type RunningCli } from "../../dev/simulator/cli.js";
import { nextScheduled, parseSchedule, previousScheduled } from "../../dev/simulator/schedule.js";
import { overdueLastExecution } from "../../dev/simulator/seed.js";
import type { Simulator } from "../../dev/simulator/simulator.js";
import type { SimScope, WireAssociation } from "../../dev/simulator/types.js";
import { skipWithout } from "../debian-tools.js";
import { waitFor } from "../helpers.js";
import { freePort, spawnExporter, type Spawned } from "../process.js";
import { promtoolCheckMetrics } from "../promtool.js";
import { samples } from "../integration/stack.js";
import { dashboardQueries } from "../promql-names.js";
import {
  alertmanagerAlerts,
  alertmanagerAllAlerts,
  prometheusAlerts,
  promQuery,
  shortenForDurations,
  startAlertmanager,
  startPrometheus,
  startWebhookReceiver,
  type AmAlert,
  type AmNotification,
  type Peer,
  type WebhookReceiver,
} from "./peers.js";

const CHART_FILES = new URL("../../helm/ssm-association-exporter/files/", import.meta.url);
const RULES = new URL("alerts.yaml", CHART_FILES);
const INHIBIT_RULES = new URL("alertmanager-inhibit-rules.yaml", CHART_FILES);
const JOB = "ssm-association-exporter";
const ACCOUNT = DEMO_ACCOUNT_ID;
const US = { region: "us-east-1", accountId: ACCOUNT };

/** What each seeded condition must raise, and nothing else may fire. */
const ALERT_OF = { failed: "SsmAssociationFailed", targetsFailed: "SsmAssociationTargetsFailed", overdue: "SsmAssociationOverdue" } as const;

type Labels = Record<string, string | undefined>;
const alertKey = (labels: Labels) => `${labels.alertname} ${labels.account_id ?? "-"}/${labels.region ?? "-"} ${labels.association_id ?? "-"}`;
const groupKey = (labels: Labels) => `${labels.account_id ?? "-"}/${labels.region ?? "-"} ${labels.association_id ?? "-"}`;
const sorted = (keys: Iterable<string>) => [...keys].sort();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Needs Debian's prometheus and prometheus-alertmanager: skipped without them, a failure under CI=true.
const missingPeer = skipWithout("prometheus") || skipWithout("prometheus-alertmanager") || skipWithout("promtool");

/**
 * The demo's data set (dev/demo-dataset.ts: 2 accounts × 2 regions × 40, the member account through
 * AssumeRole), without the demo's live churn, so the data stays what was seeded until a test changes it.
 */
describe.skipIf(missingPeer)("end to end: simulator → exporter → Prometheus → Alertmanager, on the demo data set", () => {
  let simulator: RunningCli;
  let sim: Simulator;
  let exporter: Spawned;
  let exporterUrl: string;
  let alertmanager: Peer;
  let prometheus: Peer;
  let webhook: WebhookReceiver;
  let targetsDir: string;
  let scopes: Required<SimScope>[];

  beforeAll(async () => {
    simulator = await runCli(demoSimulatorOptions({ churnEveryMs: undefined }), { out: () => undefined, err: () => undefined });
    sim = simulator.running.sim;
    scopes = sim.scopes();
    console.log(`e2e: demo data set, ${describeSeeded(seededCounts(sim))}`);

    targetsDir = mkdtempSync(join(tmpdir(), "ssm-e2e-targets-"));
    const targetsFile = join(targetsDir, "targets.yaml");
    writeFileSync(targetsFile, demoTargetsFile());
    const port = await freePort();
    exporterUrl = `http://127.0.0.1:${port}`;
    exporter = spawnExporter(
      [`--web.listen-address=127.0.0.1:${port}`, `--config.file=${targetsFile}`, "--poll.interval=2s", "--aws.max-attempts=2", "--log.level=debug", ...DEMO_ENRICHMENT_FLAGS],
      {
        AWS_ENDPOINT_URL_SSM: simulator.running.url,
        AWS_ENDPOINT_URL_STS: simulator.running.url,
        AWS_ACCESS_KEY_ID: "AKIDSIMULATEDE2E0001",
        AWS_SECRET_ACCESS_KEY: "simulated",
        AWS_EC2_METADATA_DISABLED: "true",
      },
    );
    await waitFor(async () => (await fetch(`${exporterUrl}/readyz`).catch(() => undefined))?.status === 200, 15_000, "exporter ready");

    webhook = await startWebhookReceiver();
    alertmanager = await startAlertmanager({ webhookUrl: webhook.url, inhibitRules: readFileSync(INHIBIT_RULES, "utf8") });
    prometheus = await startPrometheus({
      exporterAddress: `127.0.0.1:${port}`,
      alertmanagerAddress: alertmanager.url.replace("http://", ""),
      rules: shortenForDurations(readFileSync(RULES, "utf8")),
      jobName: JOB,
    });
  }, 60_000);

  afterAll(async () => {
    exporter?.child.kill("SIGTERM");
    await Promise.all([prometheus?.stop(), alertmanager?.stop(), exporter?.exited(), webhook?.close()]);
    await simulator?.stop();
    if (targetsDir !== undefined) rmSync(targetsDir, { recursive: true, force: true });
  });

  /** alertname + account/region + association_id of every alert the seeded conditions imply. */
  function seededAlerts(): { all: Set<string>; inhibited: Set<string>; failing: string[] } {
    const all = new Set<string>();
    const inhibited = new Set<string>();
    const failing: string[] = [];
    for (const scope of scopes) {
      const seeded = sim.seededConditions(scope);
      if (seeded === undefined) throw new Error(`scope ${scope.accountId}/${scope.region} was not generated`);
      for (const condition of ["failed", "targetsFailed", "overdue"] as const) {
        for (const id of seeded[condition]) all.add(alertKey({ alertname: ALERT_OF[condition], ...scopeLabels(scope), association_id: id }));
      }
      for (const id of seeded.failed) failing.push(groupKey({ ...scopeLabels(scope), association_id: id }));
      // SsmAssociationFailed inhibits SsmAssociationTargetsFailed of the same association.
      for (const id of seeded.targetsFailed.filter((t) => seeded.failed.includes(t))) {
        inhibited.add(alertKey({ alertname: ALERT_OF.targetsFailed, ...scopeLabels(scope), association_id: id }));
      }
    }
    return { all, inhibited, failing };
  }

  it("serves metrics that promtool accepts, and Prometheus reports the target up", async () => {
    const text = await (await fetch(`${exporterUrl}/metrics`)).text();
    expect(promtoolCheckMetrics(text)).toBe("");
    const health = await waitFor(
      async () => {
        const body = (await (await fetch(`${prometheus.url}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string; labels: Record<string, string> }[] } };
        const target = body.data.activeTargets.find((t) => t.labels.job === JOB);
        return target?.health === "up" ? target.health : undefined;
      },
      20_000,
      "target up in Prometheus",
    );
    expect(health).toBe("up");
    expect(await promQuery(prometheus.url, `up{job="${JOB}"}`)).toEqual([expect.objectContaining({ value: [expect.any(Number), "1"] })]);

    // Prometheus negotiated OpenMetrics and gzip, and took the cached multi-member gzip body.
    const scrapes = exporter
      .stdout()
      .split("\n")
      .filter((line) => line.includes('"user-agent":"Prometheus/'))
      .map((line) => JSON.parse(line) as { req: { headers: Record<string, string> }; res: { statusCode: number; headers: Record<string, string> } });
    expect(scrapes.length).toBeGreaterThan(0);
    const last = scrapes.at(-1);
    expect(last?.req.headers.accept).toContain("application/openmetrics-text");
    expect(last?.res.statusCode).toBe(200);
    expect(last?.res.headers["content-type"]).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
    expect(last?.res.headers["content-encoding"]).toBe("gzip");
  });

  it("fires exactly the alerts the demo data set was seeded with: zero false alerts, none missing", async () => {
    const expected = seededAlerts();
    const started = performance.now();
    const everyRuleFired = async () => {
      const firing = new Set((await prometheusAlerts(prometheus.url)).filter((a) => a.state === "firing").map((a) => alertKey(a.labels)));
      return [...expected.all].every((k) => firing.has(k));
    };
    await waitFor(everyRuleFired, 45_000, "every seeded alert firing in Prometheus").catch(() => undefined);
    // A few more evaluations (1 s) and scrapes (2 s), so a false alert has its chance to show up.
    await sleep(4_000);
    const alerts = await prometheusAlerts(prometheus.url);
    const byName = (name: string) => alerts.filter((a) => a.labels.alertname === name).length;
    console.log(
      `e2e: demo data set → Prometheus fires ${alerts.length} alerts (${byName(ALERT_OF.failed)} ${ALERT_OF.failed}, ` +
        `${byName(ALERT_OF.targetsFailed)} ${ALERT_OF.targetsFailed}, ${byName(ALERT_OF.overdue)} ${ALERT_OF.overdue}, ` +
        `${alerts.length - byName(ALERT_OF.failed) - byName(ALERT_OF.targetsFailed) - byName(ALERT_OF.overdue)} other), ` +
        `${expected.all.size} seeded, in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(sorted(alerts.map((a) => alertKey(a.labels)))).toEqual(sorted(expected.all));
    expect(alerts.filter((a) => a.state !== "firing")).toEqual([]);

    // Alertmanager holds the same alerts; SsmAssociationTargetsFailed only as inhibited where the association is Failed.
    const notInhibited = sorted([...expected.all].filter((k) => !expected.inhibited.has(k)));
    const amState = async () => {
      const am = await alertmanagerAllAlerts(alertmanager.url);
      return {
        active: sorted(am.filter((a) => a.status.inhibitedBy.length === 0).map((a) => alertKey(a.labels))),
        inhibited: sorted(am.filter((a) => a.status.inhibitedBy.length > 0).map((a) => alertKey(a.labels))),
      };
    };
    const settled = (s: { active: string[]; inhibited: string[] }) =>
      JSON.stringify(s.active) === JSON.stringify(notInhibited) && JSON.stringify(s.inhibited) === JSON.stringify(sorted(expected.inhibited));
    await waitFor(async () => settled(await amState()), 20_000, "Alertmanager holding the seeded alerts").catch(() => undefined);
    expect(await amState()).toEqual({ active: notInhibited, inhibited: sorted(expected.inhibited) });
    expect(expected.inhibited.size).toBeGreaterThan(0);

    // Notifications: one per failing association, carrying SsmAssociationFailed and never its SsmAssociationTargetsFailed.
    const groups = (notifications: AmNotification[]) => {
      const out = new Map<string, AmNotification[]>();
      for (const n of notifications) out.set(groupKey(n.groupLabels), [...(out.get(groupKey(n.groupLabels)) ?? []), n]);
      return out;
    };
    await waitFor(() => expected.failing.every((g) => groups(webhook.notifications).has(g)), 20_000, "a notification for every failing association").catch(() => undefined);
    await sleep(2_000);
    const notified = groups(webhook.notifications);
    for (const g of expected.failing) {
      const sent = notified.get(g) ?? [];
      expect(sent.map((n) => n.status), g).toEqual(["firing"]);
      const names = sent.flatMap((n) => n.alerts.map((a) => a.labels.alertname));
      expect(names, g).toContain(ALERT_OF.failed);
      expect(names, g).not.toContain(ALERT_OF.targetsFailed);
    }
    // No association was notified that was not seeded with a condition.
    const seededGroups = new Set([...expected.all].map((k) => k.slice(k.indexOf(" ") + 1)));
    expect([...notified.keys()].filter((g) => !g.endsWith(" -") && !seededGroups.has(g))).toEqual([]);
    console.log(
      `e2e: Alertmanager: ${notInhibited.length} alerts notified in ${[...notified.keys()].filter((g) => seededGroups.has(g)).length} association groups, ` +
        `${expected.inhibited.size} ${ALERT_OF.targetsFailed} inhibited; ${expected.failing.length} failing associations, one notification each`,
    );
  }, 120_000);

  it("publishes the previous and next scheduled times aws-cron-parser gives, for every association of the demo data set", async () => {
    // The simulator works its schedules out with aws-cron-parser, the exporter with its own croner-based
    // code: they must agree on every association. The exporter computes them at its latest poll (every 2 s),
    // so a slot may pass in between: either "now" or a few seconds earlier must match.
    const text = await (await fetch(`${exporterUrl}/metrics`)).text();
    const seenAt = Date.now();
    const published = new Map(
      samples(text)
        .filter((s) => s.name.endsWith("_execution_timestamp_seconds"))
        .map((s) => [`${s.name} ${s.labels.account_id}/${s.labels.region} ${s.labels.association_id}`, Math.round(s.value * 1000)]),
    );
    const value = (name: string, scope: Required<SimScope>, id: string) => published.get(`${name} ${scope.accountId}/${scope.region} ${id}`);
    const mismatches: string[] = [];
    let compared = 0;
    for (const scope of scopes) {
      for (const a of sim.getAssociations(scope)) {
        const schedule = parseSchedule(a.ScheduleExpression, a.ScheduleOffset);
        const lastMs = a.LastExecutionDate === undefined ? undefined : a.LastExecutionDate * 1000;
        const ours = (t: number) => {
          const previous = schedule === undefined || schedule.kind === "at" ? undefined : previousScheduled(schedule, lastMs, t);
          const next = schedule === undefined ? undefined : nextScheduled(schedule, lastMs, t);
          return JSON.stringify({ previous: previous === undefined ? undefined : Math.round(previous), next: next === undefined ? undefined : Math.round(next) });
        };
        const theirs = JSON.stringify({
          previous: value("aws_ssm_association_previous_scheduled_execution_timestamp_seconds", scope, a.AssociationId),
          next: value("aws_ssm_association_next_execution_timestamp_seconds", scope, a.AssociationId),
        });
        compared++;
        if (theirs !== ours(seenAt) && theirs !== ours(seenAt - 5_000)) {
          mismatches.push(`${a.ScheduleExpression ?? "unscheduled"} +${a.ScheduleOffset ?? 0}d last ${a.LastExecutionDate}: exporter ${theirs}, aws-cron-parser ${ours(seenAt)}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBe(160);
    for (const s of samples(text, "aws_ssm_exporter_schedule_parse_errors_total")) expect(s.value, JSON.stringify(s.labels)).toBe(0);
  });

  it("answers every dashboard query with data", async () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(5);
    const empty: string[] = [];
    // rate() needs two scrapes inside its window; give Prometheus a few.
    await waitFor(async () => (await promQuery(prometheus.url, `count_over_time(up{job="${JOB}"}[1m])`))[0]?.value[1] !== "1" || undefined, 20_000, "two scrapes");
    for (const { title, expr } of queries) {
      const result = await waitFor(async () => {
        const samples = await promQuery(prometheus.url, expr);
        return samples.length > 0 ? samples : undefined;
      }, 20_000, `data for "${title}": ${expr}`).catch(() => undefined);
      if (!result) empty.push(`${title}: ${expr}`);
    }
    expect(empty).toEqual([]);
  }, 120_000);

  const firing = async (alertname: string, labels: Record<string, string>): Promise<AmAlert | undefined> =>
    (await alertmanagerAlerts(alertmanager.url)).find(
      (a) => a.labels.alertname === alertname && Object.entries(labels).every(([k, v]) => a.labels[k] === v),
    );

  it("an association that fails with failed targets reaches Alertmanager as SsmAssociationFailed with its labels, notified once, its SsmAssociationTargetsFailed inhibited; it resolves when it recovers", async () => {
    // A named, healthy, on-time association with target counts: failing it fails one of its targets too.
    const onTime = new Set(sim.seededConditions(US)?.onTime);
    const candidate = sim
      .getAssociations(US)
      .find((a) => onTime.has(a.AssociationId) && a.AssociationName !== undefined && a.Overview?.Status === "Success" && Object.keys(a.Overview.AssociationStatusAggregatedCount ?? {}).length > 0);
    if (!candidate) throw new Error("no named, healthy association with target counts in the demo data set");
    const flipped = { id: candidate.AssociationId, name: candidate.AssociationName ?? "", document: candidate.Name };
    expect(await firing("SsmAssociationFailed", { association_id: flipped.id })).toBeUndefined();

    const flippedAt = performance.now();
    const failed = sim.setStatus(US, flipped.id, "Failed", "Failed");
    expect(failed.Overview?.AssociationStatusAggregatedCount?.Failed).toBeGreaterThan(0);
    const alert = await waitFor(() => firing("SsmAssociationFailed", { association_id: flipped.id }), 60_000, "SsmAssociationFailed in Alertmanager");
    const arrivedSeconds = (performance.now() - flippedAt) / 1000;
    console.log(`e2e: flip to Failed → alert in Alertmanager: ${arrivedSeconds.toFixed(1)} s (poll 2s, scrape 2s, eval 1s, for: shortened to 1s, group_wait 2s)`);

    expect(alert.labels).toMatchObject({
      alertname: "SsmAssociationFailed",
      account_id: ACCOUNT,
      region: "us-east-1",
      association_id: flipped.id,
      association_name: flipped.name,
      document_name: flipped.document,
    });
    expect(alert.labels.severity).toBeDefined();
    expect(alert.annotations.summary).toBeTruthy();
    expect(alert.annotations.description).toBeTruthy();
    expect(alert.annotations.runbook_url).toMatch(/README\.md#runbook-ssmassociationfailed$/);

    // The runbook's first question, "on which instances?": --ssm.failed-targets lists them by the next poll.
    const failedTargetsOf = async () =>
      samples(await (await fetch(`${exporterUrl}/metrics`)).text(), "aws_ssm_association_failed_target_info").filter((x) => x.labels.association_id === flipped.id);
    const listed = await waitFor(async () => ((await failedTargetsOf()).length > 0 ? failedTargetsOf() : undefined), 15_000, "the flipped association's failed targets");
    expect(listed).toHaveLength(failed.Overview?.AssociationStatusAggregatedCount?.Failed ?? -1);

    // SsmAssociationTargetsFailed fires in Prometheus too, but Alertmanager holds it inhibited, and the one
    // notification for the association carries SsmAssociationFailed alone.
    const group = groupKey({ account_id: ACCOUNT, region: "us-east-1", association_id: flipped.id });
    const targetsAlert = await waitFor(
      async () => (await alertmanagerAllAlerts(alertmanager.url)).find((a) => a.labels.alertname === "SsmAssociationTargetsFailed" && a.labels.association_id === flipped.id),
      30_000,
      "SsmAssociationTargetsFailed in Alertmanager",
    );
    expect(targetsAlert.status.inhibitedBy).toHaveLength(1);
    await waitFor(() => webhook.notifications.some((n) => groupKey(n.groupLabels) === group), 15_000, "the association's notification");
    await sleep(3_000);
    const sent = webhook.notifications.filter((n) => groupKey(n.groupLabels) === group);
    expect(sent.map((n) => [n.status, n.alerts.map((a) => `${a.labels.alertname} ${a.status}`)])).toEqual([["firing", ["SsmAssociationFailed firing"]]]);

    const restoredAt = performance.now();
    sim.setStatus(US, flipped.id, "Success", "Success");
    await waitFor(async () => (await firing("SsmAssociationFailed", { association_id: flipped.id })) === undefined, 60_000, "alert resolved");
    expect(await failedTargetsOf()).toEqual([]);
    console.log(`e2e: recovery → alert resolved in Alertmanager: ${((performance.now() - restoredAt) / 1000).toFixed(1)} s`);
  }, 150_000);

  it("an association that misses its scheduled run reaches Alertmanager as SsmAssociationOverdue, one on time on the same schedule does not; it resolves when it runs", async () => {
    const { overdue, onTime } = pickSameSchedulePair(sim, scopes);
    expect(await firing("SsmAssociationOverdue", { association_id: overdue.association.AssociationId })).toBeUndefined();

    const missedAt = performance.now();
    const made = sim.makeOverdue(overdue.scope, overdue.association.AssociationId);
    const alert = await waitFor(
      () => firing("SsmAssociationOverdue", { association_id: overdue.association.AssociationId }),
      60_000,
      "SsmAssociationOverdue in Alertmanager",
    );
    console.log(
      `e2e: ${overdue.association.ScheduleExpression} association misses its run → SsmAssociationOverdue in Alertmanager: ${((performance.now() - missedAt) / 1000).toFixed(1)} s ` +
        `(last ran ${new Date((made.LastExecutionDate ?? 0) * 1000).toISOString()})`,
    );
    expect(alert.labels).toMatchObject({
      alertname: "SsmAssociationOverdue",
      account_id: overdue.scope.accountId,
      region: overdue.scope.region,
      association_id: overdue.association.AssociationId,
      document_name: overdue.association.Name,
      ...(overdue.association.AssociationName !== undefined && { association_name: overdue.association.AssociationName }),
    });
    expect(alert.labels.severity).toBeDefined();
    expect(alert.annotations.summary).toBeTruthy();
    expect(alert.annotations.description).toContain(overdue.association.ScheduleExpression);
    expect(alert.annotations.runbook_url).toMatch(/README\.md#runbook-ssmassociationoverdue$/);
    // The one on time on the same schedule is not even pending in Prometheus.
    expect((await prometheusAlerts(prometheus.url)).filter((a) => a.labels.association_id === onTime.association.AssociationId)).toEqual([]);

    const ranAt = performance.now();
    sim.updateAssociation(overdue.scope, overdue.association.AssociationId, { LastExecutionDate: Date.now() / 1000 });
    await waitFor(
      async () => (await firing("SsmAssociationOverdue", { association_id: overdue.association.AssociationId })) === undefined,
      60_000,
      "SsmAssociationOverdue resolved",
    );
    console.log(`e2e: it runs → SsmAssociationOverdue resolved in Alertmanager: ${((performance.now() - ranAt) / 1000).toFixed(1)} s`);
  }, 150_000);

  it("a region whose polls fail fires SsmExporterPollFailing", async () => {
    sim.injectFault({ kind: "ThrottlingException", count: Infinity, region: "eu-west-1", accountId: ACCOUNT, operation: "ListAssociations" });
    try {
      const failedAt = performance.now();
      const alert = await waitFor(() => firing("SsmExporterPollFailing", { region: "eu-west-1", account_id: ACCOUNT }), 60_000, "SsmExporterPollFailing in Alertmanager");
      console.log(`e2e: polls failing → SsmExporterPollFailing in Alertmanager: ${((performance.now() - failedAt) / 1000).toFixed(1)} s`);
      expect(alert.labels).toMatchObject({ alertname: "SsmExporterPollFailing", account_id: ACCOUNT, region: "eu-west-1" });
      expect(await firing("SsmExporterPollFailing", { region: "us-east-1" })).toBeUndefined();
      expect(await firing("SsmExporterPollFailing", { account_id: "210987654321" })).toBeUndefined();
    } finally {
      sim.clearFaults();
    }
  }, 90_000);
});

function scopeLabels(scope: Required<SimScope>): { account_id: string; region: string } {
  return { account_id: scope.accountId, region: scope.region };
}

interface Picked {
  scope: Required<SimScope>;
  association: WireAssociation;
}

/**
 * Two healthy associations seeded on time on the same schedule, the first of which can be made to miss
 * its latest run by over 2 h right now (any rate() with a long period always can; a cron, depending on
 * the time of day).
 */
function pickSameSchedulePair(sim: Simulator, scopes: Required<SimScope>[]): { overdue: Picked; onTime: Picked } {
  const preferred = ["rate(1 day)", "rate(12 hours)", "rate(7 days)", "cron(0 4 * * ? *)", "cron(0 2 ? * SUN *)"];
  for (const expression of preferred) {
    const candidates: Picked[] = scopes.flatMap((scope) => {
      const onTime = new Set(sim.seededConditions(scope)?.onTime);
      return sim
        .getAssociations(scope)
        .filter((a) => onTime.has(a.AssociationId) && a.ScheduleExpression === expression && a.ScheduleOffset === undefined && a.Overview?.Status === "Success")
        .map((association) => ({ scope, association }));
    });
    const [first, second] = candidates;
    if (first === undefined || second === undefined) continue;
    if (!canMiss(first)) continue;
    return { overdue: first, onTime: second };
  }
  throw new Error("the demo data set has no two healthy on-time associations on one schedule that can be made overdue now");
}

/** Whether makeOverdue would work now (overdueLastExecution is what it sets, or a RangeError). */
function canMiss(picked: Picked): boolean {
  try {
    overdueLastExecution(picked.association, Date.now());
    return true;
  } catch {
    return false;
  }
}
