import { describe, expect, it } from "vitest";
import { AwsCallError, type Association, type AssociationSource } from "../src/associations/association.js";
import { Poller } from "../src/poller.js";
import type { Snapshot } from "../src/snapshot.js";
import { patchBaseline } from "./fixtures/associations.js";
import { captureLogger } from "./helpers.js";

/** A plain-object source whose next answers the test scripts. */
class FakeSource implements AssociationSource {
  answers: (() => Promise<Association[]>)[] = [];
  calls = 0;
  constructor(readonly region: string) {}
  accountId(): Promise<string> {
    return Promise.resolve("111122223333");
  }
  listAssociations(): Promise<Association[]> {
    this.calls++;
    const next = this.answers.shift();
    return next ? next() : Promise.resolve([]);
  }
}

const throttled = () => Promise.reject(new AwsCallError("ListAssociations", "ThrottlingException", "eu-west-1", "Rate exceeded", 400));

function setup(sources: FakeSource[]) {
  const { logger, lines } = captureLogger();
  const published: Snapshot[] = [];
  let skipped = 0;
  const poller = new Poller({
    sources,
    intervalMs: 60_000,
    logger,
    publish: async (s) => {
      published.push(s);
    },
    onSkippedPoll: () => skipped++,
    now: () => 1_000_000,
  });
  return { poller, lines, published, skipped: () => skipped };
}

describe("Poller", () => {
  it("publishes one complete snapshot with every source", async () => {
    const a = new FakeSource("us-east-1");
    const b = new FakeSource("eu-west-1");
    a.answers.push(() => Promise.resolve([patchBaseline]));
    const { poller, published } = setup([a, b]);
    const snapshot = await poller.pollOnce();
    expect(published).toEqual([snapshot]);
    expect(snapshot.targets.map((t) => [t.target, t.associations.length, t.up, t.lastSuccessSeconds])).toEqual([
      [{ accountId: "111122223333", region: "us-east-1" }, 1, true, 1000],
      [{ accountId: "111122223333", region: "eu-west-1" }, 0, true, 1000],
    ]);
  });

  it("keeps a failed region's last good associations, marks it down, and logs one line naming operation and error code", async () => {
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

  it("never overlaps: a tick during a running poll is skipped and logged", async () => {
    const a = new FakeSource("us-east-1");
    let release: () => void = () => undefined;
    a.answers.push(() => new Promise((resolve) => (release = () => resolve([]))));
    const { poller, lines, skipped } = setup([a]);
    const first = poller.pollOnce();
    await new Promise((resolve) => setImmediate(resolve));
    (poller as unknown as { tick(): void }).tick();
    expect(a.calls).toBe(1);
    expect(skipped()).toBe(1);
    expect(lines.some((l) => l.msg === "poll skipped: the previous poll is still running")).toBe(true);
    release();
    await first;
  });
});
