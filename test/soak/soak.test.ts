import { describe, expect, it } from "vitest";
import { runSoak } from "../../soak/soak.js";

/**
 * A shortened `npm run soak` (see soak/README.md): the built exporter (dist/, which `npm test` builds
 * first) as a child process, 300 associations, 15 churned polls at --poll.interval=1s, two scraper
 * threads. Every check must hold, heap included, and every poll's data must have been seen and checked.
 */
describe("soak, shortened", () => {
  it(
    "runs 15 polls with churn and concurrent scrapes in all four variants without a single violation",
    async () => {
      const report = await runSoak({ associations: 300, polls: 15, scrapers: 2, pollInterval: "1s", deadlineSeconds: 50 });
      expect(report.violations, report.summary).toEqual([]);
      expect(report.ok, report.summary).toBe(true);
      expect(report.pollsExpected, report.summary).toBe(15);
      expect(report.pollsObserved, report.summary).toBe(15);
      expect(report.failedPolls ?? 0, report.summary).toBe(0);
      expect(report.exactChecksPassed, report.summary).toBeGreaterThanOrEqual(15);
      expect(report.heapRatio, report.summary).toBeDefined();
      expect(report.wallSeconds, report.summary).toBeLessThan(40);
    },
    60_000,
  );
});
