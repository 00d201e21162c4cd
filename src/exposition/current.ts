import type { Snapshot } from "../domain/snapshot.js";
import type { Exposition } from "./render.js";

export interface Served {
  readonly snapshot: Snapshot;
  readonly exposition: Exposition;
}

/** Holds the snapshot being served. Replaced whole in one assignment, so a scrape never sees half a poll. */
export class CurrentSnapshot {
  private served: Served | undefined;

  get(): Served | undefined {
    return this.served;
  }

  set(snapshot: Snapshot, exposition: Exposition): void {
    this.served = { snapshot, exposition };
  }
}
