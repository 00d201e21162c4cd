import { describe, expect, it } from "vitest";
import { generateAssociations } from "../../dev/simulator/seed.js";
import { parseListAssociationsPage } from "../../src/aws/list-associations-page.js";

/** Wire associations as the SDK hands them over: LastExecutionDate (epoch seconds) as a Date. */
const sdkItems = generateAssociations(500, { seed: 7, region: "us-east-1", now: Date.UTC(2026, 0, 15) }).map(({ LastExecutionDate, ...rest }) =>
  LastExecutionDate === undefined ? rest : { ...rest, LastExecutionDate: new Date(LastExecutionDate * 1000) },
);

/** The same page with a null prototype: not a plain object, so only the schema path reads it. */
const throughSchema = (page: object): object => Object.assign(Object.create(null) as object, page);

describe("parseListAssociationsPage without zod for plainly valid pages", () => {
  it("converts a generated page exactly as the schema path does", () => {
    const page = { Associations: sdkItems, NextToken: "next" };
    const fast = parseListAssociationsPage(page);
    expect(fast).toEqual(parseListAssociationsPage(throughSchema(page)));
    expect(fast.associations).toHaveLength(500);
    expect(fast.nextToken).toBe("next");
  });

  it("leaves every doubtful value to the schema, which names it as before", () => {
    const first = sdkItems[0] ?? {};
    const cases: [string, object, string][] = [
      ["null name", { ...first, AssociationName: null }, "Associations[0].AssociationName"],
      ["infinite duration", { ...first, Duration: Infinity }, "Associations[0].Duration"],
      ["invalid date", { ...first, LastExecutionDate: new Date(Number.NaN) }, "Associations[0].LastExecutionDate"],
      ["negative count", { ...first, Overview: { AssociationStatusAggregatedCount: { Failed: -1 } } }, "Associations[0].Overview.AssociationStatusAggregatedCount.Failed"],
      ["empty id", { ...first, AssociationId: "" }, "Associations[0].AssociationId"],
    ];
    for (const [, item, path] of cases) expect(() => parseListAssociationsPage({ Associations: [item] })).toThrow(path);
  });

  it("keeps an own __proto__ count key opaque on either path", () => {
    const counts = JSON.parse('{"__proto__": 3, "Success": 1}') as Record<string, number>;
    const page = { Associations: [{ AssociationId: "a", Overview: { AssociationStatusAggregatedCount: counts } }] };
    expect([...(parseListAssociationsPage(page).associations[0]?.targetCounts ?? [])]).toEqual([["__proto__", 3], ["Success", 1]]);
  });
});
