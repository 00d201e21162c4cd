import type { Snapshot } from "../snapshot.js";
import type { RenderedSnapshot } from "./render.js";

export interface Served {
  readonly snapshot: Snapshot;
  readonly rendered: RenderedSnapshot;
}

/** Holds the snapshot being served. Replaced whole in one assignment, so a scrape never sees half a poll. */
export class CurrentSnapshot {
  private served: Served | undefined;

  get(): Served | undefined {
    return this.served;
  }

  set(snapshot: Snapshot, rendered: RenderedSnapshot): void {
    this.served = { snapshot, rendered };
  }
}
