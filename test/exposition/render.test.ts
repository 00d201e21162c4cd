import { readFileSync } from "node:fs";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import type { TargetState } from "../../src/domain/snapshot.js";
import { renderExposition, renderTargetFamilies } from "../../src/exposition/render.js";
import { ScheduleBook } from "../../src/schedule/schedule-book.js";
import { awkward, dailyRate, fixedSnapshot, futureOneOff, inventory, notUnderstood, pastOneOff, patchBaseline, unscheduled, yearsOver } from "../fixtures/associations.js";

const sortedLines = (text: string): string[] =>
  text
    .split("\n")
    .filter((line) => line !== "")
    .sort();

const polled: TargetState = {
  key: "0",
  region: "us-east-1",
  accountId: "123456789012",
  pending: false,
  associations: [patchBaseline],
  up: true,
  lastSuccessSeconds: 1_764_000_200,
  pollDurationSeconds: 0.5,
  lastError: undefined,
  staleDropped: false,
};

describe("renderExposition", () => {
  it("renders the fixed data set to exactly the golden exposition", () => {
    const golden = readFileSync(new URL("../golden/associations.prom", import.meta.url), "utf8");
    expect(sortedLines(renderExposition(fixedSnapshot))).toEqual(sortedLines(golden));
  });

  it("counts the series it rendered", () => {
    const samples = sortedLines(renderExposition(fixedSnapshot)).filter((l) => !l.startsWith("#"));
    const counted = fixedSnapshot.targets.reduce((n, t) => n + renderTargetFamilies(t).seriesCount, 0);
    expect(counted).toBe(samples.length);
  });

  it("keeps quotes, backslashes, newlines and non-ASCII label values intact through a real parser", () => {
    const families = parsePrometheusTextFormat(renderExposition(fixedSnapshot));
    const info = families.find((f) => f.name === "aws_ssm_association_info");
    const names = info?.metrics.map((m) => ("labels" in m ? m.labels?.association_name : undefined));
    expect(names).toContain('quote"back\\slash\nnewline-ünïcødé-日本');
    expect(names).toContain("");
  });

  it("has no blank lines and no HELP text that needs escaping, so the bytes are also valid OpenMetrics", () => {
    const text = renderExposition(fixedSnapshot);
    expect(text.split("\n").slice(0, -1).filter((l) => l === "")).toEqual([]);
    for (const line of text.split("\n").filter((l) => l.startsWith("# HELP"))) expect(line).not.toMatch(/[\\"]/);
  });

  it("renders an empty snapshot to help and type lines only", () => {
    expect(sortedLines(renderExposition({ takenAtSeconds: 0, targets: [] })).every((l) => l.startsWith("#"))).toBe(true);
  });

  it("renders target-count keys as opaque label values: __proto__ and constructor are statuses like any other", () => {
    const odd = { ...patchBaseline, targetCounts: new Map([["__proto__", 3], ["constructor", 1], ["Failed", 2]]) };
    const text = renderTargetFamilies({ ...polled, associations: [odd] }).families.join("");
    expect(text).toContain('status="__proto__"} 3\n');
    expect(text).toContain('status="constructor"} 1\n');
    expect(text).toContain('status="Failed"} 2\n');
    expect(text).toContain('status="Success"} 0\n');
  });
});

describe("renderTargetFamilies", () => {
  it("renders the per-target exporter series next to the association data", () => {
    const text = renderTargetFamilies(polled).families.join("");
    expect(text).toContain('aws_ssm_exporter_up{account_id="123456789012",region="us-east-1"} 1\n');
    expect(text).toContain('aws_ssm_exporter_associations{account_id="123456789012",region="us-east-1"} 1\n');
    expect(text).toContain('aws_ssm_exporter_last_success_timestamp_seconds{account_id="123456789012",region="us-east-1"} 1764000200\n');
  });

  it("renders nothing for a target whose account id is unknown, or whose first poll has not finished", () => {
    expect(renderTargetFamilies({ ...polled, accountId: undefined, up: false }).families.join("")).toBe("");
    expect(renderTargetFamilies({ ...polled, pending: true }).families.join("")).toBe("");
  });

  it("leaves out last success before the first successful poll", () => {
    const text = renderTargetFamilies({ ...polled, up: false, lastSuccessSeconds: undefined, associations: [] }).families.join("");
    expect(text).toBe(
      'aws_ssm_exporter_up{account_id="123456789012",region="us-east-1"} 0\n' +
        'aws_ssm_exporter_poll_duration_seconds{account_id="123456789012",region="us-east-1"} 0.5\n' +
        'aws_ssm_exporter_associations{account_id="123456789012",region="us-east-1"} 0\n',
    );
  });
});

describe("schedule series", () => {
  const NEXT = "aws_ssm_association_next_execution_timestamp_seconds";
  const PREVIOUS = "aws_ssm_association_previous_scheduled_execution_timestamp_seconds";
  /** The schedule samples of one association, as `name value` pairs. */
  const scheduleSamples = (association: typeof patchBaseline, state: Partial<TargetState> = {}) =>
    renderTargetFamilies({ ...polled, associations: [association], ...state })
      .families.join("")
      .split("\n")
      .filter((l) => l.startsWith(NEXT) || l.startsWith(PREVIOUS))
      .map((l) => `${l.slice(0, l.indexOf("{"))} ${l.slice(l.lastIndexOf(" ") + 1)}`);

  // The poll: 2025-11-24T16:03:20Z, a Monday.
  it.each([
    ["cron with a 2-day offset: Sundays 02:00 + 2 days", patchBaseline, [`${NEXT} 1764036000`, `${PREVIOUS} 1763431200`]],
    ["cron every 30 minutes", awkward, [`${NEXT} 1764001800`, `${PREVIOUS} 1764000000`]],
    ["rate with a missed slot, counted from the last execution", dailyRate, [`${NEXT} 1764072800`, `${PREVIOUS} 1763986400`]],
    ["rate that never ran: no anchor", inventory, []],
    ["at() still ahead: next only", futureOneOff, [`${NEXT} 1766599200`]],
    ["at() already past: neither", pastOneOff, []],
    ["no schedule: neither", unscheduled, []],
    ["an expression not understood: neither", notUnderstood, []],
    ["a cron whose years are over: previous only", yearsOver, [`${PREVIOUS} 1735646400`]],
  ])("%s", (_, association, expected) => {
    expect(scheduleSamples(association)).toEqual(expected);
  });

  it("keeps every other series of an association whose schedule is not understood, and reports it", () => {
    const rendered = renderTargetFamilies({ ...polled, associations: [notUnderstood] });
    const text = rendered.families.join("");
    for (const name of ["aws_ssm_association_info", "aws_ssm_association_status", "aws_ssm_association_detailed_status", "aws_ssm_association_targets"]) {
      expect(text).toContain(`${name}{account_id="123456789012",region="us-east-1",association_id="${notUnderstood.associationId}"`);
    }
    expect(rendered.schedulesNotUnderstood.map((n) => [n.association.associationId, n.reason])).toEqual([
      [notUnderstood.associationId, "exactly one of day-of-month and day-of-week must be ?"],
    ]);
  });

  it("computes the times at the target's latest successful poll, so a failed poll's state renders the same", () => {
    const ok = renderTargetFamilies({ ...polled, associations: [awkward, dailyRate] }).families.join("");
    const failedLater = renderTargetFamilies({ ...polled, associations: [awkward, dailyRate], up: false, pollDurationSeconds: 9 }).families.join("");
    const pick = (text: string) => text.split("\n").filter((l) => l.startsWith(NEXT) || l.startsWith(PREVIOUS));
    expect(pick(failedLater)).toEqual(pick(ok));
    expect(scheduleSamples(awkward, { lastSuccessSeconds: 1_764_001_800 })).toEqual([`${NEXT} 1764003600`, `${PREVIOUS} 1764001800`]);
  });

  it("reports an expression not understood only the first time the target's book meets it", () => {
    const book = new ScheduleBook();
    expect(renderTargetFamilies({ ...polled, associations: [notUnderstood] }, book).schedulesNotUnderstood).toHaveLength(1);
    expect(renderTargetFamilies({ ...polled, associations: [notUnderstood] }, book).schedulesNotUnderstood).toHaveLength(0);
  });
});

describe("enrichment families", () => {
  const tagLabels = [
    { key: "cost-center", label: "tag_cost_center" },
    { key: "team", label: "tag_team" },
  ];
  const options = { tagLabels, failedTargets: true };
  const id = patchBaseline.associationId;
  const enriched: TargetState = {
    ...polled,
    associations: [patchBaseline, inventory],
    enrichment: {
      tags: new Map([[id, new Map([["team", 'sre "core"\nteam'], ["owner", "not allow-listed"]])]]),
      failedTargets: new Map([
        [
          id,
          {
            executionId: "8dfe3659-4309-493a-8755-0123456789ab",
            targets: [
              { resourceId: "i-0a", resourceType: "ManagedInstance", detailedStatus: "TimedOut" },
              { resourceId: "mi-0b", resourceType: "ManagedInstance", detailedStatus: "Failed" },
            ],
            leftOut: 3,
          },
        ],
      ]),
    },
  };
  const text = () => renderTargetFamilies(enriched, new ScheduleBook(), options).families.join("");

  it("tag labels follow the info family's own labels on every info series, empty when unset or unknown, escaped through a real parser", () => {
    const info = parsePrometheusTextFormat(text()).find((f) => f.name === "aws_ssm_association_info")?.metrics ?? [];
    expect(info.map((m) => ("labels" in m ? m.labels : {}))).toEqual([
      expect.objectContaining({ association_id: id, tag_cost_center: "", tag_team: 'sre "core"\nteam' }),
      expect.objectContaining({ association_id: inventory.associationId, tag_cost_center: "", tag_team: "" }),
    ]);
    const line = text().split("\n").find((l) => l.startsWith(`aws_ssm_association_info{`) && l.includes(id)) ?? "";
    expect(line).toMatch(/schedule_expression="[^"]*",tag_cost_center="",tag_team="sre \\"core\\"\\nteam"\} 1$/);
    expect(text()).not.toContain("not allow-listed");
  });

  it("one failed-target series per target and a left-out gauge, only for associations with failed-target data", () => {
    const lines = text().split("\n");
    expect(lines.filter((l) => l.startsWith("aws_ssm_association_failed_target_info{"))).toEqual([
      expect.stringMatching(/,execution_id="8dfe3659-4309-493a-8755-0123456789ab",resource_id="i-0a",resource_type="ManagedInstance",detailed_status="TimedOut"\} 1$/),
      expect.stringMatching(/,resource_id="mi-0b",resource_type="ManagedInstance",detailed_status="Failed"\} 1$/),
    ]);
    expect(lines.filter((l) => l.startsWith("aws_ssm_association_failed_targets_left_out{"))).toEqual([expect.stringMatching(new RegExp(`association_id="${id}".*\\} 3$`))]);
  });

  it("without the options the same state renders neither tag labels nor failed-target families", () => {
    const plain = renderTargetFamilies(enriched).families.join("");
    expect(plain).not.toContain("tag_");
    expect(plain).not.toContain("failed_target");
  });
});
