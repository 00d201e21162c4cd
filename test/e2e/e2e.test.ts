import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import { skipWithout } from "../debian-tools.js";
import { waitFor } from "../helpers.js";
import { freePort, spawnExporter, type Spawned } from "../process.js";
import { promtoolCheckMetrics } from "../promtool.js";
import { dashboardQueries } from "../promql-names.js";
import { alertmanagerAlerts, promQuery, shortenForDurations, startAlertmanager, startPrometheus, type AmAlert, type Peer } from "./peers.js";

const RULES = new URL("../../helm/ssm-association-exporter/files/alerts.yaml", import.meta.url);
const REGIONS = ["us-east-1", "eu-west-1"];
const JOB = "ssm-association-exporter";
const ACCOUNT = "123456789012";

// Needs Debian's prometheus and prometheus-alertmanager: skipped without them, a failure under CI=true.
const missingPeer = skipWithout("prometheus") || skipWithout("prometheus-alertmanager") || skipWithout("promtool");

describe.skipIf(missingPeer)("end to end: simulator → exporter → Prometheus → Alertmanager", () => {
  let simulator: RunningSimulator;
  let exporter: Spawned;
  let exporterUrl: string;
  let alertmanager: Peer;
  let prometheus: Peer;
  let flipped: { id: string; name: string; document: string };

  beforeAll(async () => {
    simulator = await startSimulator();
    for (const [i, region] of REGIONS.entries()) simulator.sim.generate({ region }, 40, 11 + i);
    const candidate = simulator.sim.getAssociations({ region: "us-east-1" }).find((a) => a.AssociationName !== undefined);
    if (!candidate) throw new Error("no named association in the seed");
    simulator.sim.setStatus({ region: "us-east-1" }, candidate.AssociationId, "Success", "Success");
    flipped = { id: candidate.AssociationId, name: candidate.AssociationName ?? "", document: candidate.Name };

    const port = await freePort();
    exporterUrl = `http://127.0.0.1:${port}`;
    exporter = spawnExporter([`--web.listen-address=127.0.0.1:${port}`, "--poll.interval=2s", "--aws.max-attempts=2", "--log.level=debug"], {
      AWS_ENDPOINT_URL_SSM: simulator.url,
      AWS_ENDPOINT_URL_STS: simulator.url,
      AWS_ACCESS_KEY_ID: "AKIDSIMULATEDE2E0001",
      AWS_SECRET_ACCESS_KEY: "simulated",
      AWS_EC2_METADATA_DISABLED: "true",
      SSM_EXPORTER_AWS_REGION: REGIONS.join(","),
    });
    await waitFor(async () => (await fetch(`${exporterUrl}/readyz`).catch(() => undefined))?.status === 200, 15_000, "exporter ready");

    alertmanager = await startAlertmanager();
    prometheus = await startPrometheus({
      exporterAddress: `127.0.0.1:${port}`,
      alertmanagerAddress: alertmanager.url.replace("http://", ""),
      rules: shortenForDurations(readFileSync(RULES, "utf8")),
      jobName: JOB,
    });
  }, 60_000);

  afterAll(async () => {
    exporter?.child.kill("SIGTERM");
    await Promise.all([prometheus?.stop(), alertmanager?.stop(), exporter?.exited()]);
    await simulator?.close();
  });

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

  it("a flipped association reaches Alertmanager as SsmAssociationFailed with its labels, and resolves when it recovers", async () => {
    expect(await firing("SsmAssociationFailed", { association_id: flipped.id })).toBeUndefined();

    const flippedAt = performance.now();
    simulator.sim.setStatus({ region: "us-east-1" }, flipped.id, "Failed", "Failed");
    const alert = await waitFor(() => firing("SsmAssociationFailed", { association_id: flipped.id }), 60_000, "SsmAssociationFailed in Alertmanager");
    const arrivedSeconds = (performance.now() - flippedAt) / 1000;
    console.log(`e2e: flip to Failed → alert in Alertmanager: ${arrivedSeconds.toFixed(1)} s (poll 2s, scrape 2s, eval 1s, for: shortened to 1s, group_wait 1s)`);

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

    const restoredAt = performance.now();
    simulator.sim.setStatus({ region: "us-east-1" }, flipped.id, "Success", "Success");
    await waitFor(async () => (await firing("SsmAssociationFailed", { association_id: flipped.id })) === undefined, 60_000, "alert resolved");
    console.log(`e2e: recovery → alert resolved in Alertmanager: ${((performance.now() - restoredAt) / 1000).toFixed(1)} s`);
  }, 150_000);

  it("a region whose polls fail fires SsmExporterPollFailing", async () => {
    simulator.sim.injectFault({ kind: "ThrottlingException", count: Infinity, region: "eu-west-1", operation: "ListAssociations" });
    try {
      const failedAt = performance.now();
      const alert = await waitFor(() => firing("SsmExporterPollFailing", { region: "eu-west-1" }), 60_000, "SsmExporterPollFailing in Alertmanager");
      console.log(`e2e: polls failing → SsmExporterPollFailing in Alertmanager: ${((performance.now() - failedAt) / 1000).toFixed(1)} s`);
      expect(alert.labels).toMatchObject({ alertname: "SsmExporterPollFailing", account_id: ACCOUNT, region: "eu-west-1" });
      expect(await firing("SsmExporterPollFailing", { region: "us-east-1" })).toBeUndefined();
    } finally {
      simulator.sim.clearFaults();
    }
  }, 90_000);
});
