import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { waitFor } from "./helpers.js";
import { freePort } from "./process.js";

describe("npm run demo", () => {
  it("serves populated metrics within 15 s, and stops on SIGTERM", async () => {
    const port = await freePort();
    const demo = spawn(process.execPath, [fileURLToPath(new URL("../dist-dev/demo.js", import.meta.url))], {
      env: { PATH: process.env.PATH, NODE_NO_WARNINGS: "1", SSM_EXPORTER_WEB_LISTEN_ADDRESS: `127.0.0.1:${port}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    demo.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = once(demo, "exit");
    try {
      const started = performance.now();
      // Regions publish as they finish; ready means every region has been polled.
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 15_000, "/readyz 200");
      expect(performance.now() - started).toBeLessThan(15_000);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text.match(/^aws_ssm_association_info\{/gm)).toHaveLength(160);
      for (const account of ["123456789012", "210987654321"]) {
        for (const region of ["us-east-1", "eu-west-1"]) {
          expect(text).toContain(`aws_ssm_exporter_up{account_id="${account}",region="${region}"} 1`);
          expect(text).toContain(`aws_ssm_exporter_associations{account_id="${account}",region="${region}"} 40`);
        }
      }
      expect(stderr).toContain(`demo: metrics: http://localhost:${port}/metrics`);
      // One line says what is seeded on purpose, so the alerts the demo raises can be told apart.
      expect(stderr).toMatch(/^demo: seeded 160 associations: \d+ on time, [1-9]\d* overdue on purpose .*[;,] \d+ Failed, \d+ of them with failed targets$/m);
    } finally {
      demo.kill("SIGTERM");
    }
    const [code] = await exited;
    expect(code).toBe(0);
  });

  it("stops the exporter and the simulator on SIGHUP, and when the process that started it dies", async () => {
    for (const how of ["SIGHUP", "parent killed"] as const) {
      const port = await freePort();
      // A shell stands in for npm: it starts the demo and waits, as `npm run demo` does.
      const shell = spawn("sh", ["-c", `"${process.execPath}" "${fileURLToPath(new URL("../dist-dev/demo.js", import.meta.url))}" & echo $!; wait`], {
        env: { PATH: process.env.PATH, NODE_NO_WARNINGS: "1", SSM_EXPORTER_WEB_LISTEN_ADDRESS: `127.0.0.1:${port}` },
        stdio: ["ignore", "pipe", "ignore"],
      });
      let out = "";
      shell.stdout.on("data", (c: Buffer) => (out += c.toString()));
      const demoPid = Number(await waitFor(() => /^\d+\n/.exec(out)?.[0], 5_000, "the demo's pid"));
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      try {
        await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 15_000, "/readyz 200");
        if (how === "SIGHUP") process.kill(demoPid, "SIGHUP");
        else shell.kill("SIGKILL");
        await waitFor(() => !alive(demoPid), 10_000, `the demo to exit after ${how}`);
        await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined)) === undefined, 10_000, `the exporter to stop after ${how}`);
      } finally {
        if (alive(demoPid)) process.kill(demoPid, "SIGKILL");
        shell.kill("SIGKILL");
      }
    }
  });
});
