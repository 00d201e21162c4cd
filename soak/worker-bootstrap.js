// Soak only: entry of a scraper worker thread. Registers tsx in this thread (vitest and plain
// `node` give workers no TypeScript loader), then runs the TypeScript module named in workerData.entry.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
