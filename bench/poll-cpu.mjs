/**
 * Child process of part E: CPU of listing one region's associations, either through the real exporter
 * (startExporter + pollOnce: ListAssociations pages, validation, snapshot, render, gzip, swap) or through a
 * bare AWS SDK loop (paginateListAssociations, pages of 50, the same client options the exporter builds,
 * the pages dropped as they come). Plain JavaScript importing dist/ only: no tsx or loader in the process
 * being measured. Modules are loaded before measuring, in both modes.
 *
 * Prints one JSON line: { mode, associations, polls: [{ cpuSeconds, userSeconds, systemSeconds, wallSeconds }], peakRssMiB }.
 * polls[0] includes creating the client (and, for the exporter, starting it: HTTP server, STS); the rest
 * run in the same process (steady state).
 *
 *   node bench/poll-cpu.mjs exporter|sdk <expected associations> [polls]
 */
import { ListAssociationsCommand, SSMClient, paginateListAssociations } from "@aws-sdk/client-ssm";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { setTimeout } from "node:timers";
import { URL } from "node:url";

const [mode, expectedRaw, pollsRaw] = process.argv.slice(2);
const expected = Number(expectedRaw);
const polls = Math.min(20, Math.max(1, Number(pollsRaw ?? 3)));
if ((mode !== "exporter" && mode !== "sdk") || !Number.isInteger(expected)) throw new Error("usage: poll-cpu.mjs exporter|sdk <expected associations> [polls]");

// Exit with the parent (stdin closes) or after 10 minutes, whatever happens.
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(3), 600_000).unref();

const dist = (path) => import(new URL(`../dist/${path}`, import.meta.url).href);
const [{ parseCommandLine }, { startExporter }, { createLogger }, { readBuildInfo }, { sdkClientOptions }, { PAGE_SIZE }] = await Promise.all([
  dist("config/config.js"),
  dist("exporter.js"),
  dist("log.js"),
  dist("version.js"),
  dist("aws/client-options.js"),
  dist("aws/ssm-source.js"),
]);
void ListAssociationsCommand; // loaded up front in both modes

const build = readBuildInfo();
const commandLine = parseCommandLine(["--aws.region=us-east-1", "--web.listen-address=127.0.0.1:0", "--poll.interval=1h"], {}, build.version);
if (commandLine.kind !== "run") throw new Error(`unexpected command line result: ${commandLine.kind}`);
const { config } = commandLine;

const results = [];
async function measure(run) {
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const count = await run();
  const cpu = process.cpuUsage(cpuBefore);
  if (count !== expected) throw new Error(`${mode}: listed ${count} associations, expected ${expected}`);
  results.push({ cpuSeconds: (cpu.user + cpu.system) / 1e6, userSeconds: cpu.user / 1e6, systemSeconds: cpu.system / 1e6, wallSeconds: (performance.now() - wallBefore) / 1000 });
}

if (mode === "exporter") {
  const logger = createLogger("error", { write: (line) => process.stderr.write(line) });
  let exporter;
  await measure(async () => {
    exporter = await startExporter(config, { logger, build });
    const snapshot = await exporter.poller.pollOnce();
    return snapshot.targets[0]?.up ? snapshot.targets[0].associations.length : -1;
  });
  for (let i = 1; i < polls; i++) {
    await measure(async () => {
      const snapshot = await exporter.poller.pollOnce();
      return snapshot.targets[0]?.up ? snapshot.targets[0].associations.length : -1;
    });
  }
  await exporter.close();
} else {
  const settings = { requestTimeoutMs: config.aws.requestTimeoutMs, maxAttempts: config.aws.maxAttempts };
  let client;
  const listAll = async () => {
    let count = 0;
    for await (const page of paginateListAssociations({ client, pageSize: PAGE_SIZE }, {})) count += page.Associations?.length ?? 0;
    return count;
  };
  await measure(async () => {
    client = new SSMClient(sdkClientOptions("us-east-1", settings));
    return listAll();
  });
  for (let i = 1; i < polls; i++) await measure(listAll);
  client.destroy();
}

process.stdout.write(`${JSON.stringify({ mode, associations: expected, polls: results, peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
process.exit(0);
