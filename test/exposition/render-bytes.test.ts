import { describe, expect, it } from "vitest";
import type { Association } from "../../src/domain/association.js";
import type { TargetState } from "../../src/domain/snapshot.js";
import { renderTargetFamilies, renderTargetFamilyBytes } from "../../src/exposition/render.js";
import { patchBaseline } from "../fixtures/associations.js";

const state = (associations: Association[]): TargetState => ({
  key: "0",
  region: "us-east-1",
  accountId: "123456789012",
  pending: false,
  associations,
  up: true,
  lastSuccessSeconds: 1_764_000_200,
  pollDurationSeconds: 0.5,
  lastError: undefined,
  staleDropped: false,
});

/** The same text the string way, line by line: what every byte piece must add up to. */
function expectedText(associations: Association[]): string[] {
  return renderTargetFamilies(state(associations)).families;
}

describe("renderTargetFamilyBytes", () => {
  it("splits a family longer than a buffer into pieces that add up to the text, multi-byte characters included", () => {
    // Names of 3-byte characters, so that lines straddle every buffer size the sink grows through.
    const associations = Array.from({ length: 6_000 }, (_, i) => ({ ...patchBaseline, associationId: `id-${i}`, associationName: `名前-${"日本".repeat(i % 40)}-${i}` }));
    const rendered = renderTargetFamilyBytes(state(associations));
    expect(rendered.families.some((pieces) => pieces.length > 1)).toBe(true);
    const texts = rendered.families.map((pieces) => Buffer.concat(pieces).toString("utf8"));
    expect(texts).toEqual(expectedText(associations));
    for (const pieces of rendered.families) for (const piece of pieces) expect(piece.length).toBeGreaterThan(0);
  });

  it("keeps no more than it holds: a small target's pieces do not pin a mostly empty buffer", () => {
    const rendered = renderTargetFamilyBytes(state([patchBaseline]));
    const bytes = rendered.families.flat().reduce((n, piece) => n + piece.length, 0);
    const backing = new Set(rendered.families.flat().map((piece) => piece.buffer));
    const pinned = [...backing].reduce((n, buffer) => n + buffer.byteLength, 0);
    // Small copies come from Node's shared pool (Buffer.poolSize: 8 KiB on Node 20 and 22, 64 KiB on 24),
    // shared with every other small buffer of the process; never the sink's own buffer.
    expect(pinned).toBeLessThanOrEqual(Math.max(Buffer.poolSize * backing.size, 2 * bytes));
    expect(rendered.families.map((pieces) => Buffer.concat(pieces).toString("utf8"))).toEqual(expectedText([patchBaseline]));
  });

  it("renders no piece for a pending target", () => {
    expect(renderTargetFamilyBytes({ ...state([patchBaseline]), pending: true }).families.flat()).toEqual([]);
  });
});
