import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../src/config/duration.js";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["1d", 86_400_000],
    ["0s", 0],
  ])("%s → %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "banana", "5", "1.5h", "-1s", "5 m", "1s1h", "m"])("rejects %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it("formats back", () => {
    expect(formatDuration(5_400_000)).toBe("1h30m");
    expect(formatDuration(1_000)).toBe("1s");
    expect(formatDuration(0)).toBe("0s");
  });
});
