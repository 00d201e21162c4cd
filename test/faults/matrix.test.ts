/**
 * The fault matrix: one row per fault the simulator can inject, each driven through the real AWS SDK
 * over HTTP against the real exporter, and the same assertions for every failing row:
 *
 *   1. the exporter keeps serving (/metrics 200, /healthz 200);
 *   2. the failing target's association series are byte for byte those of the last good poll;
 *   3. its aws_ssm_exporter_up is 0 and aws_ssm_exporter_polls_total{outcome="<code>"} went up by 1;
 *   4. the other targets are unaffected: up 1, series unchanged, and polled in the same round
 *      (last_success_timestamp advanced), with --poll.concurrency=1 and the failing target in the
 *      middle of the order, so the target after it is queued behind it;
 *   5. exactly one "poll failed" warn line naming account_id, region, operation and aws_error, with no
 *      error object or stack in it, and no other warn/error line except documented ones;
 *   6. the next good poll (faults cleared) recovers: up 1 and the series match the simulator's data;
 *   7. the scrape during the fault passes `promtool check metrics`.
 *
 * Before every faulted poll the failing target's data changes in the simulator (one association's
 * status flips), so a failed poll that leaked any of its pages (page 1 of an empty page 2, say) into
 * the served series would show. Assertions are soft: a row reports every property it breaks.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import type { FaultSpec } from "../../dev/simulator/types.js";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import { waitFor } from "../helpers.js";
import { freePort, isListening, spawnExporter } from "../process.js";
import { promtoolCheckMetrics } from "../promtool.js";
import { startStack, type Stack } from "../integration/stack.js";
import {
  associationLines,
  dataLines,
  DEFAULT_ACCOUNT,
  expectedSeries,
  isPollFailed,
  isUndocumentedWarning,
  lastSuccess,
  lineValue,
  pollDuration,
  polls,
  target,
  up,
  type AnyAssociation,
  type LogLine,
} from "./harness.js";

/** Poll order = flag order. The failing target is the middle one: the last one is queued behind it. */
const REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"] as const;
const BROKEN = "eu-west-1";
const ASSOCIATIONS = 120; // 3 pages of 50

interface Target {
  readonly accountId: string;
  readonly region: string;
}

interface Expected {
  readonly operation: string;
  readonly code: string;
  /** For InvalidResponse: the field the log line names. */
  readonly field?: string;
}

/** A stack and what the rows need to know about it. */
interface Harness {
  readonly stack: Stack;
  /** In poll order. */
  readonly targets: readonly Target[];
  readonly broken: Target;
  readonly pollTimeoutMs: number;
}

const sameTarget = (a: Target, b: Target) => a.accountId === b.accountId && a.region === b.region;
const name = (t: Target) => `${t.accountId}/${t.region}`;

function simData(h: Harness, t: Target): AnyAssociation[] {
  return h.stack.simulator.sim.getAssociations({ accountId: t.accountId, region: t.region });
}

/** Flips the status of the first association of the target (page 1): data a failed poll must not publish. */
function changePageOne(h: Harness, t: Target): void {
  const first = simData(h, t)[0];
  if (!first) throw new Error(`no data for ${name(t)}`);
  const next = first.Overview?.Status === "Failed" ? "Success" : "Failed";
  h.stack.simulator.sim.setStatus({ accountId: t.accountId, region: t.region }, first.AssociationId, next);
}

async function healthz(h: Harness): Promise<number> {
  return (await fetch(h.stack.metricsUrl.replace(/\/metrics$/, "/healthz"))).status;
}

/** A good poll with nothing injected; returns its scrape. Hard assertions: a row needs a healthy start. */
async function goodPoll(h: Harness): Promise<string> {
  await h.stack.poll();
  const text = await h.stack.scrape();
  for (const t of h.targets) {
    expect(up(text, t.accountId, t.region), `${name(t)} up before the row`).toBe(1);
    expect(dataLines(text, t.accountId, t.region), `${name(t)} series before the row`).toEqual(expectedSeries(t.accountId, t.region, simData(h, t)));
  }
  return text;
}

interface Round {
  readonly text: string;
  readonly startedMs: number;
  readonly endedMs: number;
}

async function faultedRound(h: Harness): Promise<Round> {
  const startedMs = Date.now();
  await h.stack.poll();
  const endedMs = Date.now();
  return { text: await h.stack.scrape(), startedMs, endedMs };
}

/** Assertion 4 for every target but the failing one. */
function othersUnaffected(h: Harness, before: string, round: Round, failing: Target | undefined): void {
  for (const t of h.targets) {
    if (failing && sameTarget(t, failing)) continue;
    const during = round.text;
    expect.soft(up(during, t.accountId, t.region), `4: ${name(t)} up`).toBe(1);
    expect.soft(polls(during, t.accountId, t.region, "success") - polls(before, t.accountId, t.region, "success"), `4: ${name(t)} polls_total{success} +1`).toBe(1);
    // Polled again in between: their schedule series may move on with the clock (a slot passing), the data may not.
    expect.soft(dataLines(during, t.accountId, t.region), `4: ${name(t)} series unchanged`).toEqual(dataLines(before, t.accountId, t.region));
    const previous = lastSuccess(before, t.accountId, t.region) ?? 0;
    const now = lastSuccess(during, t.accountId, t.region) ?? 0;
    expect.soft(now, `4: ${name(t)} last_success advanced in this round`).toBeGreaterThan(previous);
    expect.soft(now * 1000, `4: ${name(t)} polled during this round`).toBeGreaterThanOrEqual(round.startedMs - 1);
    expect.soft(now * 1000, `4: ${name(t)} polled during this round`).toBeLessThanOrEqual(round.endedMs + 1);
  }
}

/**
 * One failing row: a good poll, the data changes, `inject`, one poll round, scrape; then `clear` and
 * one more poll, which must recover.
 */
/** A good poll, the data changes, `inject`, one poll round (scraped), `clear`: what both kinds of row start with. */
async function roundUnderFault(h: Harness, inject: () => void, clear: () => void): Promise<{ before: string; logStart: number; round: Round }> {
  const before = await goodPoll(h);
  const logStart = h.stack.logLines.length;
  changePageOne(h, h.broken);
  inject();
  try {
    return { before, logStart, round: await faultedRound(h) };
  } finally {
    clear();
  }
}

async function failingRow(h: Harness, expected: Expected, inject: () => void, clear: () => void): Promise<{ line: LogLine | undefined }> {
  const { stack, broken } = h;
  const { accountId, region } = broken;
  const { before, logStart, round } = await roundUnderFault(h, inject, clear);
  const during = round.text;
  const logDuring = stack.logLines.slice(logStart);

  // 1. still serving (scrape() already required 200 from /metrics)
  expect.soft(await healthz(h), "1: /healthz").toBe(200);

  // 2. the last good series, byte for byte
  expect.soft(associationLines(during, accountId, region), "2: failing target's series = last good poll's").toEqual(associationLines(before, accountId, region));

  // 3. up 0, one more poll counted under the code
  expect.soft(up(during, accountId, region), "3: failing target up").toBe(0);
  expect.soft(polls(during, accountId, region, expected.code) - polls(before, accountId, region, expected.code), `3: polls_total{outcome="${expected.code}"} +1`).toBe(1);
  expect.soft(lastSuccess(during, accountId, region), "3: last success kept").toBe(lastSuccess(before, accountId, region));
  // A hung target gives its slot back by its deadline.
  expect.soft(pollDuration(during, accountId, region) ?? Infinity, "3: failing poll ended by --poll.timeout").toBeLessThanOrEqual(h.pollTimeoutMs / 1000 + 0.25);

  // 4. the others are unaffected and on time
  othersUnaffected(h, before, round, broken);
  expect.soft(round.endedMs - round.startedMs, "4: the round ended by --poll.timeout").toBeLessThanOrEqual(h.pollTimeoutMs + 500);

  // 5. one log line, naming what failed, without an error object or stack
  const failures = logDuring.filter(isPollFailed);
  expect.soft(failures, "5: exactly one poll-failed line").toHaveLength(1);
  const line = failures[0];
  expect.soft(line, "5: the poll-failed line").toMatchObject({
    level: "warn",
    account_id: accountId,
    region,
    operation: expected.operation,
    aws_error: expected.code,
    ...(expected.field === undefined ? {} : { field: expected.field }),
  });
  expect.soft(String(line?.msg), "5: msg").toContain(`${expected.operation} ${expected.code}`);
  expect.soft(Object.keys(line ?? {}).filter((k) => ["err", "error", "stack"].includes(k)), "5: no error object or stack").toEqual([]);
  expect.soft(JSON.stringify(line ?? {}), "5: no stack frames").not.toMatch(/\\n\s+at /);

  // 7. valid exposition during the fault
  expect.soft(promtoolCheckMetrics(during), "7: promtool check metrics").toBe("");

  // 6. the next good poll recovers
  await stack.poll();
  const after = await stack.scrape();
  for (const t of h.targets) expect.soft(up(after, t.accountId, t.region), `6: ${name(t)} up after recovery`).toBe(1);
  expect.soft(polls(after, accountId, region, "success") - polls(during, accountId, region, "success"), "6: polls_total{success} +1").toBe(1);
  expect.soft(dataLines(after, accountId, region), "6: series match the simulator's data").toEqual(expectedSeries(accountId, region, simData(h, broken)));
  expect.soft(associationLines(after, accountId, region), "6: the data change now shows").not.toEqual(associationLines(before, accountId, region));

  // 5. nothing else worth a warning, during the fault or the recovery
  const logAll = stack.logLines.slice(logStart);
  expect.soft(logAll.filter(isPollFailed), "5/6: no poll-failed line but the one").toHaveLength(1);
  expect.soft(logAll.filter(isUndocumentedWarning), "5: no other warn/error lines").toEqual([]);
  return { line };
}

/** A row that must succeed despite the fault: up 1, success counted, the data sent, valid, no warning. */
async function succeedingRow(
  h: Harness,
  inject: () => void,
  clear: () => void,
  expectedDuring: () => readonly string[],
): Promise<{ during: string; after: string }> {
  const { stack, broken } = h;
  const { accountId, region } = broken;
  const { before, logStart, round } = await roundUnderFault(h, inject, clear);
  const during = round.text;
  expect.soft(await healthz(h), "/healthz").toBe(200);
  expect.soft(up(during, accountId, region), "up").toBe(1);
  expect.soft(polls(during, accountId, region, "success") - polls(before, accountId, region, "success"), 'polls_total{outcome="success"} +1').toBe(1);
  const all = associationLines(during, accountId, region);
  expect.soft(new Set(all).size, "no duplicate series").toBe(all.length);
  expect.soft(dataLines(during, accountId, region), "the series of the data sent").toEqual(expectedDuring());
  othersUnaffected(h, before, round, broken);
  expect.soft(promtoolCheckMetrics(during), "promtool check metrics").toBe("");

  await stack.poll();
  const after = await stack.scrape();
  expect.soft(up(after, accountId, region), "up after the fault").toBe(1);
  expect.soft(dataLines(after, accountId, region), "series after the fault = the simulator's data").toEqual(expectedSeries(accountId, region, simData(h, broken)));
  const logAll = stack.logLines.slice(logStart);
  expect.soft(logAll.filter(isPollFailed), "no poll-failed line").toEqual([]);
  expect.soft(logAll.filter(isUndocumentedWarning), "no warn/error lines").toEqual([]);
  return { during, after };
}

// ---------------------------------------------------------------------------------------------------

type RowFault = Omit<FaultSpec, "count" | "region" | "operation"> & { count?: number };

interface FailingFaultRow {
  readonly name: string;
  readonly faults: readonly RowFault[];
  readonly code: string;
  readonly field?: string;
  /** ListAssociations calls the simulator must see for the failing region in the faulted round. */
  readonly calls?: number;
}

const every = (kind: FaultSpec["kind"], extra: Partial<RowFault> = {}): RowFault => ({ kind, ...extra });

/** Rows failing ListAssociations of the middle region; every fault hits every matching call until cleared. */
const FAILING_ROWS: readonly FailingFaultRow[] = [
  { name: "http500 (HTML 500 page)", faults: [every("http500")], code: "HTTP500" },
  { name: "http503 (HTML 503 page)", faults: [every("http503")], code: "HTTP503" },
  { name: "slow (1500 ms, longer than --aws.request-timeout)", faults: [every("slow", { delayMs: 1500 })], code: "ETIMEDOUT" },
  { name: "hang (no byte)", faults: [every("hang")], code: "ETIMEDOUT" },
  { name: "blackhole (request never read)", faults: [every("blackhole")], code: "ETIMEDOUT" },
  { name: "InvalidNextToken on page 2 of 3", faults: [every("InvalidNextToken", { skip: 1 })], code: "InvalidNextToken" },
  { name: "truncatedJson", faults: [every("truncatedJson")], code: "InvalidResponse" },
  { name: "html200 (sign-in page)", faults: [every("html200")], code: "InvalidResponse" },
  { name: "notJson", faults: [every("notJson")], code: "InvalidResponse" },
  { name: "empty200 on page 1", faults: [every("empty200")], code: "InvalidResponse" },
  { name: "empty200 on page 2 of 3", faults: [every("empty200", { skip: 1 })], code: "InvalidResponse" },
  { name: "emptyObject200", faults: [every("emptyObject200")], code: "InvalidResponse" },
  { name: "wrongTypes", faults: [every("wrongTypes")], code: "InvalidResponse" },
  { name: "rst (TCP reset)", faults: [every("rst")], code: "ECONNRESET" },
  { name: "fin (closed without an answer)", faults: [every("fin")], code: "ECONNRESET" },
  { name: "partialBody (half the body, then FIN)", faults: [every("partialBody")], code: "ECONNRESET" },
  { name: "AccessDeniedException", faults: [every("AccessDeniedException")], code: "AccessDeniedException" },
  { name: "ExpiredTokenException", faults: [every("ExpiredTokenException")], code: "ExpiredTokenException" },
  { name: "UnrecognizedClientException", faults: [every("UnrecognizedClientException")], code: "UnrecognizedClientException" },
  { name: "nonNumericCounts", faults: [every("nonNumericCounts")], code: "InvalidResponse" },
  { name: "arrayCounts", faults: [every("arrayCounts")], code: "InvalidResponse" },
  { name: "protoKeys (own __proto__ count key)", faults: [every("protoKeys")], code: "InvalidResponse" },
  { name: "sameNextToken on page 2", faults: [every("sameNextToken", { skip: 1 })], code: "InvalidResponse", field: "NextToken" },
  // Last: adaptive retry mode slows this region's client down after throttling (the rows that must succeed run first).
  { name: "ThrottlingException on every call (beyond --aws.max-attempts)", faults: [every("ThrottlingException")], code: "ThrottlingException", calls: 2 },
];

const MATRIX_FLAGS = ["--aws.request-timeout=300ms", "--aws.max-attempts=2", "--poll.timeout=3s", "--poll.concurrency=1"];

function seedRegions(stack: { sim: RunningSimulator["sim"] }): void {
  REGIONS.forEach((region, i) => stack.sim.generate({ region }, ASSOCIATIONS, 11 + i));
}

describe("fault matrix: ListAssociations of one of three regions", () => {
  let h: Harness;
  beforeAll(async () => {
    const stack = await startStack({ regions: REGIONS, flags: MATRIX_FLAGS, seed: seedRegions });
    h = { stack, targets: REGIONS.map((region) => ({ accountId: DEFAULT_ACCOUNT, region })), broken: { accountId: DEFAULT_ACCOUNT, region: BROKEN }, pollTimeoutMs: 3_000 };
  });
  afterAll(() => h.stack.close());

  const inject = (faults: readonly RowFault[]) => () => {
    for (const f of faults) h.stack.simulator.sim.injectFault({ count: Infinity, ...f, region: BROKEN, operation: "ListAssociations" });
  };
  const clear = () => h.stack.simulator.sim.clearFaults();

  describe("faults the exporter must take in its stride", () => {
    it("missingOptionalFields (only AssociationId): up 1, every association with empty labels, target counts 0", async () => {
      await succeedingRow(h, inject([every("missingOptionalFields")]), clear, () =>
        expectedSeries(DEFAULT_ACCOUNT, BROKEN, simData(h, h.broken).map((a) => ({ AssociationId: a.AssociationId }))),
      );
    });

    it("extraFields: up 1, exposition identical to the one without the fault", async () => {
      let during: string[] = [];
      const { after } = await succeedingRow(h, inject([every("extraFields")]), clear, () => {
        during = expectedSeries(DEFAULT_ACCOUNT, BROKEN, simData(h, h.broken));
        return during;
      });
      expect(dataLines(after, DEFAULT_ACCOUNT, BROKEN)).toEqual(during);
    });

    it("associations added and deleted between pages: up 1, each listed association exactly once", async () => {
      const { sim } = h.stack.simulator;
      const scope = { region: BROKEN };
      const original = sim.getAssociations(scope);
      const added = [0, 1].map((i) => ({
        ...structuredClone(original[0] as AnyAssociation),
        Name: "Acme-AddedBetweenPages",
        AssociationId: `added00${i}-0000-4000-8000-000000000000`,
        AssociationName: `added-between-pages-${i}`,
      }));
      const deleted = original[3]?.AssociationId ?? "";
      let listedBeforeChurn: AnyAssociation[] = [];
      let fired = 0;
      let unsubscribe = () => {};
      try {
        const { during, after } = await succeedingRow(
          h,
          () => {
            unsubscribe = sim.onBeforeList((site, firstPage) => {
              if (site.region !== BROKEN || firstPage || fired > 0) return;
              fired++;
              listedBeforeChurn = sim.getAssociations(scope);
              for (const a of added) sim.addAssociation(scope, a as Parameters<typeof sim.addAssociation>[1]);
              sim.deleteAssociation(scope, deleted);
            });
          },
          () => unsubscribe(),
          // Seq-based paging: page 1 (with the deleted one) was listed before, the added ones come on page 3.
          () => expectedSeries(DEFAULT_ACCOUNT, BROKEN, [...listedBeforeChurn, ...added]),
        );
        expect(fired, "the listener ran once, at page 2").toBe(1);
        expect(listedBeforeChurn.map((a) => a.AssociationId)).toContain(deleted);
        expect(listedBeforeChurn).toHaveLength(ASSOCIATIONS);
        expect(lineValue(during, "aws_ssm_exporter_associations", target(DEFAULT_ACCOUNT, BROKEN))).toBe(ASSOCIATIONS + 2);
        expect(lineValue(after, "aws_ssm_exporter_associations", target(DEFAULT_ACCOUNT, BROKEN))).toBe(ASSOCIATIONS + 1);
      } finally {
        unsubscribe();
        sim.setAssociations(scope, original);
      }
    });
  });

  // After the rows above: adaptive retry mode slows this region's client down once it has been throttled.
  it.each(FAILING_ROWS)("$name → ListAssociations $code", async (row) => {
    const { sim } = h.stack.simulator;
    let calls = 0;
    await failingRow(
      h,
      { operation: "ListAssociations", code: row.code, ...(row.field === undefined ? {} : { field: row.field }) },
      () => {
        calls = -sim.callCount("ListAssociations", { region: BROKEN });
        inject(row.faults)();
      },
      () => {
        calls += sim.callCount("ListAssociations", { region: BROKEN });
        clear();
      },
    );
    if (row.calls !== undefined) expect(calls, "ListAssociations calls in the faulted round (--aws.max-attempts=2)").toBe(row.calls);
  });
});

describe("fault matrix: a poll that overruns --poll.timeout", () => {
  let h: Harness;
  beforeAll(async () => {
    const stack = await startStack({
      regions: REGIONS,
      flags: ["--poll.timeout=1s", "--aws.request-timeout=900ms", "--aws.max-attempts=3", "--poll.concurrency=1"],
      seed: seedRegions,
    });
    h = { stack, targets: REGIONS.map((region) => ({ accountId: DEFAULT_ACCOUNT, region })), broken: { accountId: DEFAULT_ACCOUNT, region: BROKEN }, pollTimeoutMs: 1_000 };
  });
  afterAll(() => h.stack.close());

  // The regression row of 693e8d4: while every target's deadline counted from the tick, the target
  // queued behind the one that used its whole --poll.timeout started with no time left and failed with
  // PollTimeout too, without a single AWS call (assertions 4 and 5 failed here).
  it("hang with 3 attempts of 900 ms → ListAssociations PollTimeout, ended within 1.5 s", async () => {
    await failingRow(
      h,
      { operation: "ListAssociations", code: "PollTimeout" },
      () => h.stack.simulator.sim.injectFault({ kind: "hang", count: Infinity, region: BROKEN, operation: "ListAssociations" }),
      () => h.stack.simulator.sim.clearFaults(),
    );
  });
});

describe("fault matrix: AssumeRole denied for one of three role targets", () => {
  const ROLES = [
    { arn: "arn:aws:iam::111122223333:role/ssm-association-exporter", accountId: "111122223333", region: "us-east-1" },
    { arn: "arn:aws:iam::444455556666:role/ssm-association-exporter", accountId: "444455556666", region: "eu-west-1" },
    { arn: "arn:aws:iam::777788889999:role/ssm-association-exporter", accountId: "777788889999", region: "ap-southeast-2" },
  ] as const;
  const DENIED = ROLES[1];
  let dir: string;
  let h: Harness;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ssm-fault-matrix-"));
    const file = join(dir, "targets.yaml");
    writeFileSync(file, `targets:\n${ROLES.map((r) => `  - role_arn: ${r.arn}\n    regions: [${r.region}]\n`).join("")}`);
    // The SDK refreshes assumed-role credentials 5 minutes before they expire; moving Date there makes
    // the next poll call AssumeRole again, after a good poll with the role's first credentials.
    vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
    const stack = await startStack({
      regions: [],
      flags: [`--config.file=${file}`, ...MATRIX_FLAGS],
      seed: (s) => ROLES.forEach((r, i) => s.sim.generate({ accountId: r.accountId, region: r.region }, ASSOCIATIONS, 31 + i)),
    });
    h = { stack, targets: ROLES.map((r) => ({ accountId: r.accountId, region: r.region })), broken: { accountId: DENIED.accountId, region: DENIED.region }, pollTimeoutMs: 3_000 };
  });
  afterAll(async () => {
    await h.stack.close();
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it("denied at the credentials' refresh → AssumeRole AccessDenied, the other roles unaffected", async () => {
    const { sim } = h.stack.simulator;
    const assumeRolesBefore = sim.callCount("AssumeRole");
    await failingRow(
      h,
      { operation: "AssumeRole", code: "AccessDenied" },
      () => {
        sim.denyAssumeRole(DENIED.arn);
        vi.setSystemTime(Date.now() + 56 * 60_000);
      },
      () => sim.allowAssumeRole(DENIED.arn),
    );
    // Every role was assumed again in the faulted round (the denied one, refused) and the denied one once more to recover.
    expect(sim.callCount("AssumeRole") - assumeRolesBefore).toBeGreaterThanOrEqual(ROLES.length + 1);
  });
});

describe("fault matrix: the exporter process with two broken regions", () => {
  let simulator: RunningSimulator;
  beforeAll(async () => {
    simulator = await startSimulator();
    seedRegions(simulator);
    simulator.sim.injectFault({ kind: "hang", count: Infinity, region: "eu-west-1", operation: "ListAssociations" });
    simulator.sim.injectFault({ kind: "wrongTypes", count: Infinity, region: "ap-southeast-2", operation: "ListAssociations" });
  });
  afterAll(() => simulator.close());

  it("stays alive, ready and promtool-clean with hang and wrongTypes, both regions up 0, SIGTERM → exit 0 within 5 s", async () => {
    const port = await freePort();
    const run = spawnExporter(
      [`--web.listen-address=127.0.0.1:${port}`, `--aws.region=${REGIONS.join(",")}`, "--poll.interval=1s", "--poll.timeout=1s", "--aws.request-timeout=300ms"],
      {
        AWS_ENDPOINT_URL_SSM: simulator.url,
        AWS_ENDPOINT_URL_STS: simulator.url,
        AWS_ACCESS_KEY_ID: "AKIDSIMULATED0000001",
        AWS_SECRET_ACCESS_KEY: "simulated",
        AWS_EC2_METADATA_DISABLED: "true",
      },
    );
    onTestFinished(() => {
      run.child.kill("SIGKILL"); // a no-op once it has exited
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, 15_000, "readyz 200");
    await new Promise((r) => setTimeout(r, 2_000)); // two poll intervals

    expect(run.child.exitCode, "alive").toBeNull();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(promtoolCheckMetrics(text)).toBe("");
    expect(up(text, DEFAULT_ACCOUNT, "us-east-1")).toBe(1);
    expect(up(text, DEFAULT_ACCOUNT, "eu-west-1")).toBe(0);
    expect(up(text, DEFAULT_ACCOUNT, "ap-southeast-2")).toBe(0);
    expect(dataLines(text, DEFAULT_ACCOUNT, "us-east-1")).toEqual(expectedSeries(DEFAULT_ACCOUNT, "us-east-1", simulator.sim.getAssociations({ region: "us-east-1" })));

    const lines = run
      .stdout()
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as LogLine);
    const failed = lines.filter(isPollFailed);
    const codes = (region: string) => new Set(failed.filter((l) => l.region === region).map((l) => String(l.aws_error)));
    // Polled again and again, failing each time (the first poll and at least one tick after it).
    for (const region of ["eu-west-1", "ap-southeast-2"]) expect(failed.filter((l) => l.region === region).length, region).toBeGreaterThanOrEqual(2);
    // Three attempts of 300 ms plus two random backoffs end just before or just after the 1 s deadline.
    expect([...codes("eu-west-1")].every((c) => c === "ETIMEDOUT" || c === "PollTimeout"), [...codes("eu-west-1")].join()).toBe(true);
    expect([...codes("ap-southeast-2")]).toEqual(["InvalidResponse"]);
    expect(polls(text, DEFAULT_ACCOUNT, "eu-west-1", "success")).toBe(0);
    expect(lines.filter(isUndocumentedWarning)).toEqual([]);
    expect(run.stderr()).toBe("");

    const sent = performance.now();
    run.child.kill("SIGTERM");
    expect(await run.exited()).toEqual({ code: 0, signal: null });
    expect(performance.now() - sent).toBeLessThan(5_000);
    expect(await isListening(port)).toBe(false);
  });
});
