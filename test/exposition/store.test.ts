import { gunzipSync, inflateRawSync } from "node:zlib";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { renderExposition } from "../../src/exposition/render.js";
import { SelfMetrics } from "../../src/exposition/self-metrics.js";
import { ExpositionStore, type Body, type Encoding, type Format } from "../../src/exposition/store.js";
import { createLogger } from "../../src/log.js";
import { fixedSnapshot, notUnderstood } from "../fixtures/associations.js";

const build = { name: "x", version: "1.2.3", revision: "r", nodejsVersion: "v20" };

function newStore(now?: () => number): { store: ExpositionStore; self: SelfMetrics } {
  const self = new SelfMetrics(build, { defaultMetrics: true });
  return { store: new ExpositionStore(self, now), self };
}

/** The body as the client reads it. */
function decoded(body: Body): string {
  const bytes = Buffer.concat([...body.chunks]);
  expect(bytes.length).toBe(body.length);
  return (body.encoding === "gzip" ? gunzipSync(bytes) : bytes).toString("utf8");
}

/** Names of every counter sample in a text exposition. */
const counterSamples = (text: string) => {
  const counters = [...text.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => m[1] ?? "");
  const base = counters.map((c) => c.replace(/_total$/, ""));
  return text.split("\n").filter((line) => base.some((c) => [`${c}{`, `${c} `, `${c}_total{`, `${c}_total `].some((p) => line.startsWith(p))));
};

describe("ExpositionStore", () => {
  it("serves the published snapshot then the self-metrics, as text, with the text content type", async () => {
    const { store } = newStore();
    await store.publish(fixedSnapshot);
    const body = await store.body("text", "identity");
    expect(body.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = decoded(body);
    expect(text.startsWith(renderExposition(fixedSnapshot))).toBe(true);
    expect(text).toContain('aws_ssm_exporter_build_info{version="1.2.3",revision="r",nodejs_version="v20"} 1');
    expect(parsePrometheusTextFormat(text).length).toBeGreaterThan(10);
  });

  it("serves OpenMetrics: counters' families without _total, samples with it, no blank lines, # EOF last", async () => {
    const { store, self } = newStore();
    self.recordApiCall({ accountId: "123456789012", region: "us-east-1" }, "ListAssociations", "success");
    await store.publish(fixedSnapshot);
    const body = await store.body("openmetrics", "identity");
    expect(body.contentType).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
    const text = decoded(body);
    expect(text.endsWith("\n# EOF\n")).toBe(true);
    expect(text.split("\n").slice(0, -1)).not.toContain("");
    expect(text).toContain("# TYPE aws_ssm_exporter_api_requests counter\n");
    expect(text).toContain('aws_ssm_exporter_api_requests_total{account_id="123456789012",region="us-east-1",operation="ListAssociations",outcome="success"} 1\n');
    expect(text).toContain("# TYPE process_cpu_seconds counter\n");
    expect(text).toMatch(/^process_cpu_seconds_total \S+$/m);
  });

  it("keeps _total on counters in text after OpenMetrics scrapes, whatever the order or concurrency", async () => {
    let now = 0;
    const { store } = newStore(() => now);
    await store.publish(fixedSnapshot);
    const formats: Format[] = ["openmetrics", "text", "openmetrics", "openmetrics", "text"];
    const encodings: Encoding[] = ["identity", "gzip"];
    for (const round of [0, 1, 2]) {
      now += 2_000; // past the tail cache: every round renders the self-metrics anew
      const bodies = await Promise.all(formats.flatMap((format) => encodings.map(async (encoding) => ({ format, text: decoded(await store.body(format, encoding)) }))));
      for (const { format, text } of bodies) {
        const samples = counterSamples(text);
        expect(samples.length, `round ${round} ${format}`).toBeGreaterThan(0);
        for (const line of samples) expect(line, `round ${round} ${format}`).toMatch(/^\S+_total[{ ]/);
        if (format === "text") {
          expect(text).toContain("# TYPE aws_ssm_exporter_api_requests_total counter");
          expect(text).not.toContain("# EOF");
        }
      }
    }
  });

  it("gzips into ONE member that decodes to exactly the identity body", async () => {
    const { store } = newStore();
    await store.publish(fixedSnapshot);
    for (const format of ["text", "openmetrics"] as const) {
      const plain = decoded(await store.body(format, "identity"));
      const gzip = await store.body(format, "gzip");
      expect(gzip.encoding).toBe("gzip");
      const bytes = Buffer.concat([...gzip.chunks]);
      expect(gunzipSync(bytes).toString("utf8")).toBe(plain);
      // A decoder that stops after the first member (curl --compressed does) still gets everything.
      expect(inflateRawSync(bytes.subarray(10, bytes.length - 8)).toString("utf8")).toBe(plain);
    }
  });

  it("serves self-metrics alone before the first publish, in both encodings", async () => {
    const { store } = newStore();
    expect(store.snapshot()).toBeUndefined();
    for (const encoding of ["identity", "gzip"] as const) {
      const text = decoded(await store.body("text", encoding));
      expect(text).toContain("aws_ssm_exporter_build_info");
      expect(text).not.toContain("aws_ssm_association_status{");
    }
  });

  it("re-renders only targets whose state changed, and drops what a target no longer has", async () => {
    const { store } = newStore();
    await store.publish(fixedSnapshot);
    const first = await store.body("text", "identity");
    const [east, west] = fixedSnapshot.targets;
    if (!east || !west) throw new Error("fixture");
    await store.publish({ ...fixedSnapshot, targets: [east, { ...west, associations: [] }] });
    const second = await store.body("text", "identity");
    // Every chunk but the last: that one is the self-metrics tail, rendered anew after a publish.
    const eastChunks = first.chunks.slice(0, -1).filter((b) => b.toString().includes('region="us-east-1"'));
    expect(eastChunks.length).toBeGreaterThan(0);
    for (const chunk of eastChunks) expect(second.chunks).toContain(chunk); // the very same Buffers
    const text = decoded(second);
    expect(text).not.toContain('aws_ssm_association_info{account_id="123456789012",region="eu-west-1"');
    expect(text).toContain('aws_ssm_exporter_associations{account_id="123456789012",region="eu-west-1"} 0');
  });

  it("answers every response from one snapshot even when a publish lands while it is being built", async () => {
    const { store } = newStore();
    await store.publish(fixedSnapshot);
    const [east] = fixedSnapshot.targets;
    if (!east) throw new Error("fixture");
    const pending = store.body("text", "identity"); // takes the served snapshot now
    const publishing = store.publish({ ...fixedSnapshot, targets: [east] });
    const text = decoded(await pending);
    await publishing;
    const families = parsePrometheusTextFormat(text);
    const infos = families.find((f) => f.name === "aws_ssm_association_info")?.metrics.length ?? 0;
    const counted = (families.find((f) => f.name === "aws_ssm_exporter_associations")?.metrics ?? []).reduce((n, m) => n + Number("value" in m ? m.value : 0), 0);
    expect(infos).toBe(9);
    expect(counted).toBe(infos);
  });

  it("logs a schedule not understood once per association version and counts it, and serves the association's other series", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const self = new SelfMetrics(build, { defaultMetrics: false });
    const store = new ExpositionStore(self, Date.now, logger);
    const [east, west] = fixedSnapshot.targets;
    if (!east || !west) throw new Error("fixture");
    const errors = async () => {
      const text = decoded(await store.body("text", "identity"));
      return [...text.matchAll(/^aws_ssm_exporter_schedule_parse_errors_total\{([^}]*)\} (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    };

    await store.publish(fixedSnapshot);
    expect(lines.map((l) => l.msg)).toEqual(["schedule not understood"]);
    expect(lines[0]).toMatchObject({
      level: "warn",
      account_id: "123456789012",
      region: "eu-west-1",
      association_id: notUnderstood.associationId,
      association_version: "1",
      schedule_expression: "cron(0 9 * * MON *)",
      reason: "exactly one of day-of-month and day-of-week must be ?",
    });
    expect(await errors()).toEqual(['account_id="123456789012",region="eu-west-1" 1', 'account_id="123456789012",region="us-east-1" 0']);
    const text = decoded(await store.body("text", "identity"));
    expect(text).toContain(`aws_ssm_association_info{account_id="123456789012",region="eu-west-1",association_id="${notUnderstood.associationId}"`);

    // Later polls of the same association version (new state objects, failed polls too): no new line, no new count.
    await store.publish({ ...fixedSnapshot, targets: [east, { ...west, lastSuccessSeconds: 1_764_000_260 }] });
    await store.publish({ ...fixedSnapshot, targets: [east, { ...west, up: false, lastSuccessSeconds: 1_764_000_260 }] });
    expect(lines).toHaveLength(1);
    expect(await errors()).toEqual(['account_id="123456789012",region="eu-west-1" 1', 'account_id="123456789012",region="us-east-1" 0']);

    // A new version of it, with the same expression: one more line, one more count.
    const v2 = west.associations.map((a) => (a === notUnderstood ? { ...a, associationVersion: "2" } : a));
    await store.publish({ ...fixedSnapshot, targets: [east, { ...west, associations: v2, lastSuccessSeconds: 1_764_000_320 }] });
    expect(lines.map((l) => [l.msg, l.association_version])).toEqual([
      ["schedule not understood", "1"],
      ["schedule not understood", "2"],
    ]);
    expect(await errors()).toEqual(['account_id="123456789012",region="eu-west-1" 2', 'account_id="123456789012",region="us-east-1" 0']);
  });
});
