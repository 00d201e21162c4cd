import { describe, expect, it } from "vitest";
import { AwsCallError, type Association, type AssociationSource, type TargetKey } from "../src/domain/association.js";
import { Poller } from "../src/poller.js";
import type { Snapshot } from "../src/domain/snapshot.js";
import { patchBaseline } from "./fixtures/associations.js";
import { captureLogger, waitFor } from "./helpers.js";

/** A plain-object source whose next answers the test scripts. */
class FakeSource implements AssociationSource {
  answers: (() => Promise<Association[]>)[] = [];
  calls = 0;
  running = 0;
  constructor(readonly region: string) {}
  accountId(): Promise<string> {
    return Promise.resolve("111122223333");
  }
  async listAssociations(): Promise<Association[]> {
    this.calls++;
    this.running++;
    try {
      const next = this.answers.shift();
      return await (next ? next() : Promise.resolve([]));
    } finally {
      this.running--;
    }
  }
}

const throttled = () => Promise.reject(new AwsCallError("ListAssociations", "ThrottlingException", "eu-west-1", "Rate exceeded", 400));

/** A promise the test settles by hand. */
function gate(): { promise: Promise<Association[]>; open: (value?: Association[]) => void } {
  let open: (value?: Association[]) => void = () => undefined;
  const promise = new Promise<Association[]>((resolve) => (open = (value) => resolve(value ?? [])));
  return { promise, open };
}

function setup(sources: FakeSource[], concurrency = 5) {
  const { logger, lines } = captureLogger();
  const published: Snapshot[] = [];
  const skipped: TargetKey[] = [];
  const poller = new Poller({
    sources,
    intervalMs: 60_000,
    concurrency,
    logger,
    publish: async (s) => {
      published.push(s);
    },
    onSkippedPoll: (t) => skipped.push(t),
    now: () => 1_000_000,
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
    expect(snapshot.targets.map((t) => [t.target, t.pending, t.associations.length, t.up, t.lastSuccessSeconds])).toEqual([
      [{ accountId: "111122223333", region: "us-east-1" }, false, 1, true, 1000],
      [{ accountId: "111122223333", region: "eu-west-1" }, false, 0, true, 1000],
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
    expect(skipped).toEqual([{ accountId: "", region: "us-east-1" }]);
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
    expect(snapshot.targets.map((t) => [t.target.region, t.pending, t.associations.length])).toEqual([
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
