// Soak only (never loaded by the product): preloaded into the exporter child with
// `node --expose-gc --import <this file> dist/main.js ...`. On SIGUSR2 it runs two full garbage
// collections and writes one line to stderr:
//   SOAK_HEAP_PROBE {"seq":1,"rss":...,"heapTotal":...,"heapUsed":...,"external":...,"arrayBuffers":...}
// A signal listener does not keep the process alive, so the exporter starts and stops as usual.
import process from "node:process";

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
  process.stderr.write(`SOAK_HEAP_PROBE ${JSON.stringify({ seq, ...process.memoryUsage() })}\n`);
});
