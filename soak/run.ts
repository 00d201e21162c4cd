/**
 * `npm run soak`: builds (npm runs `npm run build` first), then soaks the real exporter. Exits 0 when
 * every check held, 1 on any violation, 2 when the soak could not run. Parameters from the
 * environment:
 *
 *   SOAK_ASSOCIATIONS   associations in the simulator, kept near this count   (default 2000)
 *   SOAK_POLLS          polls to churn and check, at --poll.interval=1s        (default 1000, ~17 min)
 *   SOAK_SCRAPERS       concurrent scrapers (worker threads)                   (default 4)
 *   SOAK_POLL_INTERVAL  the exporter's --poll.interval                         (default 1s)
 *   SOAK_DEADLINE_SECONDS  whole-run bound                                     (default 120 + 6 per poll)
 *   SOAK_SEED           churn seed                                             (default 1)
 *   SOAK_HEAP_BASELINE_POLL  the heap reading compared with the last one        (default 10)
 *   SOAK_HEAP_EVERY     also read the heap every this many polls, for a trend line (default: never)
 *   SOAK_DUMP_DIR       where failing responses are written          (default $TMPDIR/ssm-exporter-soak-<pid>)
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSoak } from "./soak.js";

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`soak: ${name} must be a positive integer, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return n;
}

const abort = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    process.stderr.write(`soak: ${signal}, stopping the exporter\n`);
    abort.abort();
  });
}

const options = {
  associations: intFromEnv("SOAK_ASSOCIATIONS", 2000),
  polls: intFromEnv("SOAK_POLLS", 1000),
  scrapers: intFromEnv("SOAK_SCRAPERS", 4),
  pollInterval: process.env.SOAK_POLL_INTERVAL || "1s",
  ...(process.env.SOAK_DEADLINE_SECONDS ? { deadlineSeconds: intFromEnv("SOAK_DEADLINE_SECONDS", 1) } : {}),
  seed: intFromEnv("SOAK_SEED", 1),
  ...(process.env.SOAK_HEAP_EVERY ? { heapEvery: intFromEnv("SOAK_HEAP_EVERY", 1) } : {}),
  ...(process.env.SOAK_HEAP_BASELINE_POLL ? { heapBaselinePoll: intFromEnv("SOAK_HEAP_BASELINE_POLL", 10) } : {}),
  dumpDir: process.env.SOAK_DUMP_DIR || join(tmpdir(), `ssm-exporter-soak-${process.pid}`),
  signal: abort.signal,
  progress: (line: string) => process.stdout.write(`[soak] ${line}\n`),
};
process.stdout.write(
  `[soak] ${options.associations} associations, ${options.polls} polls at --poll.interval=${options.pollInterval}, ${options.scrapers} scrapers (node ${process.version})\n`,
);

runSoak(options).then(
  (report) => {
    process.stdout.write(`${report.summary}\n`);
    process.exit(report.ok ? 0 : 1);
  },
  (err: unknown) => {
    process.stderr.write(`soak: could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
