#!/usr/bin/env node
/**
 * `npm run demo`: the real exporter (dist/main.js, real AWS SDK) against the simulated SSM endpoint
 * on loopback. Only the endpoint is simulated; the exporter finds it through AWS_ENDPOINT_URL_SSM.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_ENRICHMENT_FLAGS, DEMO_PER_ACCOUNT_AND_REGION, DEMO_REGIONS, demoSimulatorOptions, demoTargetsFile, describeSeeded, seededCounts } from "./demo-dataset.js";
import { runCli } from "./simulator/cli.js";

const POLL_INTERVAL = "15s";
/** Status flips and on-schedule runs this often (2 flips per account and region). */
const CHURN_EVERY_MS = 15_000;

/** The targets file the exporter reads (demo-dataset.ts). */
function writeTargetsFile(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "ssm-exporter-demo-"));
  const path = join(dir, "targets.yaml");
  writeFileSync(path, demoTargetsFile());
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** How often the demo checks that the process that started it is still there. */
const PARENT_CHECK_MS = 500;

async function main(): Promise<void> {
  const log = (line: string) => process.stderr.write(`demo: ${line}\n`);
  const simulator = await runCli(demoSimulatorOptions({ churnEveryMs: CHURN_EVERY_MS, churnCount: 2 }), {
    out: (url) => log(`simulated SSM endpoint at ${url}`),
    err: (line) => log(`simulator ${line}`),
  });
  log(describeSeeded(seededCounts(simulator.running.sim)));
  const endpoint = simulator.running.url;
  const targets = writeTargetsFile();
  const listen = process.env.SSM_EXPORTER_WEB_LISTEN_ADDRESS ?? ":9877";
  const exporter = spawn(process.execPath, [fileURLToPath(new URL("../dist/main.js", import.meta.url)), `--poll.interval=${POLL_INTERVAL}`, `--config.file=${targets.path}`, ...DEMO_ENRICHMENT_FLAGS], {
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      AWS_ENDPOINT_URL_SSM: endpoint,
      AWS_ENDPOINT_URL_STS: endpoint,
      AWS_ACCESS_KEY_ID: "AKIDSIMULATEDDEMO001",
      AWS_SECRET_ACCESS_KEY: "not-a-secret",
      AWS_EC2_METADATA_DISABLED: "true",
      SSM_EXPORTER_WEB_LISTEN_ADDRESS: listen,
    },
  });
  const port = listen.slice(listen.lastIndexOf(":") + 1);
  log(`exporter polling ${2 * DEMO_REGIONS.length * DEMO_PER_ACCOUNT_AND_REGION} simulated associations in 2 accounts × ${DEMO_REGIONS.length} regions every ${POLL_INTERVAL}`);
  log(`metrics: http://localhost:${port}/metrics  (Ctrl-C to stop)`);

  // Stop the exporter (and with it the simulator and this process) on any stop request, and when whoever
  // started the demo goes away without one (npm killed, terminal closed): never leave a process behind.
  const stop = () => exporter.kill("SIGTERM");
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, stop);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      log("the process that started the demo is gone: stopping");
      stop();
    }
  }, PARENT_CHECK_MS).unref();
  exporter.on("exit", (code) => {
    targets.remove();
    void simulator.stop().then(() => process.exit(code ?? 0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
