import { describe, expect, it } from "vitest";
import { AwsCallError, type Association, type AssociationSource } from "../src/domain/association.js";
import type { Snapshot, TargetState } from "../src/domain/snapshot.js";
import { Poller, type PollerOptions } from "../src/poller.js";
import { patchBaseline } from "./fixtures/associations.js";
import { captureLogger, waitFor } from "./helpers.js";

/** A plain-object source whose next answers the test scripts. */
class FakeSource implements AssociationSource {
  answers: ((signal: AbortSignal) => Promise<Association[]>)[] = [];
  calls = 0;
  running = 0;
  signals: AbortSignal[] = [];
  readonly knownAccountId: string | undefined = undefined;
  readonly operations = { accountId: "GetCallerIdentity", listAssociations: "ListAssociations" };
  accountAnswer: () => Promise<string> = () => Promise.resolve("111122223333");
  constructor(readonly region: string) {}
  accountId(): Promise<string> {
    return this.accountAnswer();
  }
  async listAssociations(signal: AbortSignal): Promise<Association[]> {
    this.calls++;
    this.running++;
    this.signals.push(signal);
    try {
      const next = this.answers.shift();
      return await (next ? next(signal) : Promise.resolve([]));
    } finally {
      this.running--;
    }
  }
}

/** A call that never answers and ignores its signal: the worst a source can do. */
const never = () => new Promise<Association[]>(() => undefined);

const throttled = () => Promise.reject(new AwsCallError("ListAssociations", "ThrottlingException", "eu-west-1", "Rate exceeded", 400));

/** A promise the test settles by hand. */
function gate(): { promise: Promise<Association[]>; open: (value?: Association[]) => void } {
  let open: (value?: Association[]) => void = () => undefined;
  const promise = new Promise<Association[]>((resolve) => (open = (value) => resolve(value ?? [])));
  return { promise, open };
}

function setup(sources: FakeSource[], concurrency = 5, options: Partial<PollerOptions> = {}) {
  const { logger, lines } = captureLogger();
  const published: Snapshot[] = [];
  const skipped: TargetState[] = [];
  const poller = new Poller({
    sources,
    intervalMs: 60_000,
    timeoutMs: 60_000,
    maxStalenessMs: 0,
    concurrency,
    logger,
    publish: async (s) => {
      published.push(s);
    },
    onSkippedPoll: (t) => skipped.push(t),
    now: () => 1_000_000,
    ...options,
  });
  const tick = () => (poller as unknown as { tick(): void }).tick();
  return { poller, lines, published, skipped, tick };
}

describe("Poller", () => {
  it("polls every source and returns a complete snapshot", async () => {
    const a = new FakeSource("us-east-1");
    const b = new FakeSource("eu-west-1");
    a.answers.push(() => Promise.resolve([patchBaseline]));
    const { poller, published } = setup([a, b]);
    const snapshot = await poller.pollOnce();
    expect(published.at(-1)).toEqual(snapshot);
    expect(snapshot.targets.map((t) => [t.accountId, t.region, t.pending, t.associations.length, t.up, t.lastSuccessSeconds])).toEqual([
      ["111122223333", "us-east-1", false, 1, true, 1000],
      ["111122223333", "eu-west-1", false, 0, true, 1000],
    ]);
  });

  it("keeps a failed target's last good associations, marks it down, and logs one line naming operation and error code", async () => {
    const a = new FakeSource("us-east-1");
    const b = new FakeSource("eu-west-1");
    a.answers.push(() => Promise.resolve([patchBaseline]), () => Promise.resolve([patchBaseline]));
    b.answers.push(() => Promise.resolve([patchBaseline]), throttled);
    const { poller, lines } = setup([a, b]);
    await poller.pollOnce();
    const second = await poller.pollOnce();
    const [east, west] = second.targets;
    expect(east?.up).toBe(true);
    expect(west?.up).toBe(false);
    expect(west?.associations).toEqual([patchBaseline]);
    expect(west?.lastSuccessSeconds).toBe(1000);
    expect(west?.lastError?.code).toBe("ThrottlingException");
    const failures = lines.filter((l) => String(l.msg).startsWith("poll failed"));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      level: "warn",
      region: "eu-west-1",
      account_id: "111122223333",
      operation: "ListAssociations",
      aws_error: "ThrottlingException",
      msg: "poll failed: ListAssociations ThrottlingException: Rate exceeded",
    });
  });

  it("restores up after the next good poll", async () => {
    const a = new FakeSource("us-east-1");
    a.answers.push(throttled, () => Promise.resolve([patchBaseline]));
    const { poller } = setup([a]);
    expect((await poller.pollOnce()).targets[0]?.up).toBe(false);
    expect((await poller.pollOnce()).targets[0]?.up).toBe(true);
  });

  it("never overlaps a target's polls: a tick skips (and reports) only the target still running", async () => {
    const slow = new FakeSource("us-east-1");
    const fast = new FakeSource("eu-west-1");
    const held = gate();
    slow.answers.push(() => held.promise);
    const { poller, lines, skipped, tick } = setup([slow, fast]);
    const first = poller.pollOnce();
    await waitFor(() => slow.calls === 1 && fast.calls === 1, 2_000, "both polled");
    tick();
    await waitFor(() => fast.calls === 2, 2_000, "fast polled again");
    expect(slow.calls).toBe(1);
    expect(skipped.map((t) => [t.region, t.accountId])).toEqual([["us-east-1", undefined]]);
    expect(lines.filter((l) => l.msg === "poll skipped: the previous poll of this target is still running")).toEqual([
      expect.objectContaining({ level: "warn", region: "us-east-1" }),
    ]);
    held.open();
    await first;
  });

  it("publishes each target as it finishes: a hanging target delays none of the others", async () => {
    const hanging = new FakeSource("us-east-1");
    const healthy = new FakeSource("eu-west-1");
    const held = gate();
    hanging.answers.push(() => held.promise);
    healthy.answers.push(() => Promise.resolve([patchBaseline]));
    const { poller, published } = setup([hanging, healthy]);
    const done = poller.pollOnce();
    const snapshot = await waitFor(() => published.at(-1), 2_000, "a published snapshot");
    expect(snapshot.targets.map((t) => [t.region, t.pending, t.associations.length])).toEqual([
      ["us-east-1", true, 0],
      ["eu-west-1", false, 1],
    ]);
    held.open([patchBaseline]);
    expect((await done).targets.map((t) => [t.pending, t.associations.length])).toEqual([
      [false, 1],
      [false, 1],
    ]);
  });

  it("polls at most --poll.concurrency targets at a time", async () => {
    const sources = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1"].map((r) => new FakeSource(r));
    const gates = sources.map(() => gate());
    sources.forEach((s, i) => s.answers.push(() => (gates[i] as ReturnType<typeof gate>).promise));
    const { poller } = setup(sources, 2);
    const done = poller.pollOnce();
    let peak = 0;
    for (const g of gates) {
      await waitFor(() => sources.reduce((n, s) => n + s.running, 0) > 0, 2_000, "a running poll");
      peak = Math.max(peak, sources.reduce((n, s) => n + s.running, 0));
      g.open();
      await new Promise((r) => setTimeout(r, 10));
      peak = Math.max(peak, sources.reduce((n, s) => n + s.running, 0));
    }
    await done;
    expect(peak).toBe(2);
    expect(sources.map((s) => s.calls)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe("Poller.stop", () => {
  it("settles promptly with polls still queued behind --poll.concurrency, without starting them", async () => {
    const sources = ["us-east-1", "us-east-2", "us-west-1"].map((r) => new FakeSource(r));
    const held = gate();
    sources[0]?.answers.push(() => held.promise);
    const { poller } = setup(sources, 1);
    const polling = poller.pollOnce();
    await waitFor(() => sources[0]?.calls === 1, 2_000, "first poll running");
    const stopped = poller.stop();
    held.open();
    await stopped;
    await polling;
    expect(sources.map((s) => s.calls)).toEqual([1, 0, 0]);
  });
});

describe("Poller deadlines", () => {
  it("ends a poll that never answers at --poll.timeout: up 0, PollTimeout naming the call, last good data kept", async () => {
    const hung = new FakeSource("us-east-1");
    hung.answers.push(() => Promise.resolve([patchBaseline]), never);
    const { poller, lines } = setup([hung], 1, { timeoutMs: 150 });
    await poller.pollOnce();
    const started = performance.now();
    const state = (await poller.pollOnce()).targets[0];
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(state).toMatchObject({ up: false, associations: [patchBaseline], lastError: { code: "PollTimeout", operation: "ListAssociations" } });
    expect(hung.signals.at(-1)?.aborted).toBe(true);
    expect(lines.filter((l) => String(l.msg).startsWith("poll failed"))).toEqual([
      expect.objectContaining({ region: "us-east-1", operation: "ListAssociations", aws_error: "PollTimeout" }),
    ]);
  });

  it("names the account-id call when that is what hangs", async () => {
    const hung = new FakeSource("us-east-1");
    hung.accountAnswer = () => new Promise<string>(() => undefined);
    const { poller } = setup([hung], 1, { timeoutMs: 100 });
    const state = (await poller.pollOnce()).targets[0];
    expect(state).toMatchObject({ up: false, accountId: undefined, lastError: { code: "PollTimeout", operation: "GetCallerIdentity" } });
    expect(hung.calls).toBe(0);
  });

  it("gives a hung target's concurrency slot back at its deadline, so the others are polled on time", async () => {
    const hung = new FakeSource("us-east-1");
    const healthy = new FakeSource("eu-west-1");
    hung.answers.push(never);
    healthy.answers.push(() => Promise.resolve([patchBaseline]));
    const { poller, published } = setup([hung, healthy], 1, { timeoutMs: 200 });
    const started = performance.now();
    const snapshot = await poller.pollOnce();
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(snapshot.targets.map((t) => [t.region, t.up])).toEqual([
      ["us-east-1", false],
      ["eu-west-1", true],
    ]);
    expect(published).toHaveLength(2);
  });

  it("counts a queued target's deadline from when it gets its slot: waiting behind a hung target costs it nothing", async () => {
    const hung = new FakeSource("us-east-1");
    const slowButFine = new FakeSource("eu-west-1");
    hung.answers.push(never);
    slowButFine.answers.push(() => new Promise((resolve) => setTimeout(() => resolve([patchBaseline]), 150)));
    const { poller } = setup([hung, slowButFine], 1, { timeoutMs: 250 });
    const snapshot = await poller.pollOnce();
    expect(snapshot.targets.map((t) => [t.region, t.up, t.lastError?.code])).toEqual([
      ["us-east-1", false, "PollTimeout"],
      ["eu-west-1", true, undefined],
    ]);
  });

  it("a tick due at the running poll's deadline waits for it instead of skipping (--poll.timeout = --poll.interval)", async () => {
    const hung = new FakeSource("us-east-1");
    hung.answers.push(never);
    let now = 1_000_000;
    const { poller, skipped, tick } = setup([hung], 1, { timeoutMs: 300, intervalMs: 300, now: () => now });
    const first = poller.pollOnce();
    await waitFor(() => hung.calls === 1, 2_000, "first poll running");
    now += 300; // the next tick, due exactly at the deadline
    tick();
    await first;
    await waitFor(() => hung.calls === 2, 2_000, "second poll started after the first timed out");
    expect(skipped).toEqual([]);
    await poller.stop();
  });

  it("stop() aborts in-flight calls at once, even those that ignore the signal", async () => {
    const hung = new FakeSource("us-east-1");
    hung.answers.push(never);
    const { poller, lines } = setup([hung], 1, { timeoutMs: 60_000 });
    void poller.pollOnce();
    await waitFor(() => hung.calls === 1, 2_000, "poll running");
    const started = performance.now();
    await poller.stop();
    expect(performance.now() - started).toBeLessThan(500);
    expect(hung.signals[0]?.aborted).toBe(true);
    expect(lines.filter((l) => String(l.msg).startsWith("poll failed"))).toEqual([]);
  });
});

describe("Poller --poll.max-staleness", () => {
  it("keeps a failing target's data for ever by default", async () => {
    let now = 1_000_000;
    const source = new FakeSource("us-east-1");
    source.answers.push(() => Promise.resolve([patchBaseline]), throttled);
    const { poller } = setup([source], 1, { now: () => now });
    await poller.pollOnce();
    now += 30 * 86_400_000;
    expect((await poller.pollOnce()).targets[0]).toMatchObject({ up: false, associations: [patchBaseline], staleDropped: false });
  });

  it("drops it once the last success is older than the limit, logs that once, and restores it on the next good poll", async () => {
    let now = 1_000_000;
    const source = new FakeSource("us-east-1");
    source.answers.push(() => Promise.resolve([patchBaseline]), throttled, throttled, throttled, () => Promise.resolve([patchBaseline]));
    const { poller, lines } = setup([source], 1, { now: () => now, maxStalenessMs: 600_000 });
    await poller.pollOnce();
    now += 300_000;
    expect((await poller.pollOnce()).targets[0]).toMatchObject({ up: false, associations: [patchBaseline] });
    now += 400_000;
    expect((await poller.pollOnce()).targets[0]).toMatchObject({ up: false, associations: [], staleDropped: true, lastSuccessSeconds: 1000 });
    now += 60_000;
    expect((await poller.pollOnce()).targets[0]).toMatchObject({ associations: [], staleDropped: true });
    expect(lines.filter((l) => String(l.msg).startsWith("dropping the last good data"))).toEqual([
      expect.objectContaining({ region: "us-east-1", dropped_associations: 1 }),
    ]);
    expect((await poller.pollOnce()).targets[0]).toMatchObject({ up: true, associations: [patchBaseline], staleDropped: false });
  });
});

describe("Poller.setTargets (account discovery)", () => {
  const target = (key: string, source: FakeSource) => ({ key, source });

  it("keeps the state of a target whose key stays, polls a new one at once, and drops a removed one, even mid-poll, without ever publishing it", async () => {
    const kept = new FakeSource("us-east-1");
    const removed = new FakeSource("eu-west-1");
    const added = new FakeSource("ap-southeast-2");
    kept.answers.push(() => Promise.resolve([patchBaseline]));
    const { poller, published } = setup([]);
    await poller.setTargets([target("a/us-east-1", kept), target("b/eu-west-1", removed)]);
    poller.start();
    await waitFor(() => published.at(-1)?.targets.every((t) => !t.pending) || undefined, 2_000, "first polls");
    const keptState = published.at(-1)?.targets[0];
    expect(keptState?.associations).toHaveLength(1);

    const hanging = gate();
    removed.answers.push((signal) => {
      signal.addEventListener("abort", () => hanging.open([patchBaseline]));
      return hanging.promise;
    });
    (poller as unknown as { tick(): void }).tick(); // a poll of `removed` is now running (kept's too)
    await waitFor(() => removed.running === 1 || undefined, 2_000, "removed's poll running");
    const gone = await poller.setTargets([target("a/us-east-1", kept), target("c/ap-southeast-2", added)]);
    expect(gone.map((t) => t.key)).toEqual(["b/eu-west-1"]);
    expect(published.at(-1)?.targets.map((t) => [t.key, t.pending])).toEqual([
      ["a/us-east-1", false],
      ["c/ap-southeast-2", true],
    ]);
    expect(removed.signals.at(-1)?.aborted).toBe(true);
    await waitFor(() => published.at(-1)?.targets.every((t) => !t.pending) || undefined, 2_000, "the new target's first poll");
    expect(added.calls).toBe(1);
    await poller.stop();
    // Nothing after the removal ever carried the removed target.
    const removal = published.findIndex((s) => s.targets.some((t) => t.key === "c/ap-southeast-2"));
    expect(published.slice(removal).some((s) => s.targets.some((t) => t.key === "b/eu-west-1"))).toBe(false);
    expect(published.at(-1)?.targets[0]?.key).toBe("a/us-east-1");
  });

  it("before start(), new targets wait for the first tick", async () => {
    const source = new FakeSource("us-east-1");
    const { poller } = setup([]);
    await poller.setTargets([target("a", source)]);
    expect(source.calls).toBe(0);
    expect(poller.snapshot().targets.map((t) => t.pending)).toEqual([true]);
  });
});
