import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { Gauge, Registry } from "prom-client";
import type { Snapshot } from "../snapshot.js";
import { ASSOCIATION_FAMILIES, COMMON_LABELS } from "./families.js";

const gzip = promisify(gzipCallback);

/** The association data of one Snapshot in exposition format, rendered once per poll. */
export interface RenderedSnapshot {
  readonly text: Buffer;
  /** The same bytes gzipped once, for scrapers that send Accept-Encoding: gzip (Prometheus does). */
  readonly gzip: Buffer;
  readonly seriesCount: number;
}

/** Snapshot → prom-client Registry (fresh, never the global one) with every association family filled. */
export function snapshotRegistry(snapshot: Snapshot): { registry: Registry; seriesCount: number } {
  const registry = new Registry();
  let seriesCount = 0;
  for (const family of ASSOCIATION_FAMILIES) {
    const gauge = new Gauge({
      name: family.name,
      help: family.help,
      labelNames: [...COMMON_LABELS, ...family.extraLabels],
      registers: [registry],
    });
    for (const { target, associations } of snapshot.targets) {
      for (const association of associations) {
        const common = {
          account_id: target.accountId,
          region: target.region,
          association_id: association.associationId,
          association_name: association.associationName,
          document_name: association.documentName,
        };
        for (const sample of family.samples(association)) {
          gauge.set({ ...common, ...sample.labels }, sample.value);
          seriesCount++;
        }
      }
    }
  }
  return { registry, seriesCount };
}

export async function renderSnapshot(snapshot: Snapshot): Promise<RenderedSnapshot> {
  const { registry, seriesCount } = snapshotRegistry(snapshot);
  const text = Buffer.from(await registry.metrics(), "utf8");
  return { text, gzip: await gzip(text), seriesCount };
}
