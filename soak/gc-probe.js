// Soak only (never loaded by the product): preloaded into the exporter child with
// `node --expose-gc --import <this file> dist/main.js ...`. On SIGUSR2 it runs two full garbage
// collections and writes one line to stderr:
//   SOAK_HEAP_PROBE {"seq":1,"rss":...,"heapTotal":...,"heapUsed":...,"external":...,"arrayBuffers":...,
//                    "spaces":{"old_space":...,"code_space":...,...}}
// (`spaces`: bytes used per V8 heap space, to tell code warm-up from data.) A signal listener does
// not keep the process alive, so the exporter starts and stops as usual.
import process from "node:process";
import { getHeapSpaceStatistics } from "node:v8";

let seq = 0;
process.on("SIGUSR2", () => {
  seq += 1;
  const gc = globalThis.gc;
  if (typeof gc !== "function") {
    process.stderr.write(`SOAK_HEAP_PROBE ${JSON.stringify({ seq, error: "globalThis.gc is missing: run node with --expose-gc" })}\n`);
    return;
  }
  gc();
  gc();
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
  process.stderr.write(`SOAK_HEAP_PROBE ${JSON.stringify({ seq, ...process.memoryUsage(), spaces })}\n`);
});
