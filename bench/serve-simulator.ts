/**
 * Child process of part B: the SSM/STS simulator (startSimulator), empty until the parent fills it
 * through its control API (POST /_sim/generate). Prints `{ url }` on stdout; then, for every `cpu`
 * line on stdin, prints `{ cpuSeconds }` (its own CPU so far), so the parent can tell the simulator's
 * share of a poll's wall time. Exits when stdin closes.
 *
 *   node --import tsx bench/serve-simulator.ts
 */
import { createInterface } from "node:readline";
import type * as SimulatorServer from "../dev/simulator/server.js";
import { emit, exitWithParent, importDevDist } from "./lib.js";

exitWithParent(3600);

const { startSimulator } = await importDevDist<typeof SimulatorServer>("simulator/server.js");
const running = await startSimulator({ host: "127.0.0.1", port: 0 });
emit({ url: running.url });

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() !== "cpu") return;
  const { user, system } = process.cpuUsage();
  emit({ cpuSeconds: (user + system) / 1e6 });
});
