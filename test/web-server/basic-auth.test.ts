import { readFileSync } from "node:fs";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import { waitFor } from "../helpers.js";
import { fixture, replaceFile, scratchWithFixtures, simulatorEnv, startExporterProcess, TLS_FIXTURES, cleanupAfterAll, type RunningExporterProcess } from "./harness.js";

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;


const killAfterAll = cleanupAfterAll();

let simulator: RunningSimulator;
beforeAll(async () => {
  simulator = await startSimulator();
  simulator.sim.generate({ region: "us-east-1" }, 5, 1);
});
afterAll(() => simulator.close());

describe("basic auth with users.web-config.yml (plain HTTP)", () => {
  let exporter: RunningExporterProcess;
  let url: string;
  beforeAll(async () => {
    const dir = scratchWithFixtures(afterAll);
    const file = join(dir, "web.yml");
    replaceFile(file, `${fixture("users.web-config.yml")}http_server_config:\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n`);
    exporter = await startExporterProcess([`--web.config.file=${file}`], simulatorEnv(simulator.url), killAfterAll);
    url = `http://127.0.0.1:${exporter.port}`;
  });

  it("logs the number of users at start, never a hash", () => {
    expect(exporter.log().find((line) => line.msg === "exporter started")).toMatchObject({ tls: false, client_auth: null, basic_auth_users: 3 });
    expect(exporter.run.stdout()).not.toContain("$2");
  });

  it.each(["/", "/metrics", "/healthz", "/readyz", "/nope"])("answers %s without credentials with 401, WWW-Authenticate: Basic and the configured headers", async (path) => {
    const reply = await fetch(`${url}${path}`);
    expect(reply.status).toBe(401);
    expect(reply.headers.get("www-authenticate")).toBe("Basic");
    expect(reply.headers.get("x-frame-options")).toBe("deny");
    expect(reply.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await reply.text()).toBe("Unauthorized\n");
  });

  it("answers a wrong password, an unknown user and a malformed header with 401", async () => {
    for (const authorization of [basic("user2y", "wrong"), basic("nobody", "secret"), "Basic !!!", "Bearer secret"]) {
      const reply = await fetch(`${url}/metrics`, { headers: { authorization } });
      expect(reply.status, authorization).toBe(401);
      expect(reply.headers.get("www-authenticate")).toBe("Basic");
    }
  });

  it.each(["user2y", "user2b", "user2a"])("accepts %s (one bcrypt prefix each: $2y$, $2b$, $2a$) with the headers", async (user) => {
    const reply = await fetch(`${url}/metrics`, { headers: { authorization: basic(user, "secret") } });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("x-frame-options")).toBe("deny");
    const text = await reply.text();
    expect(text).toContain("aws_ssm_exporter_web_config_last_reload_successful 1");
    expect(text).toMatch(/^aws_ssm_exporter_web_config_last_reload_success_timestamp_seconds \d+(\.\d+)?$/m);
  });
});

describe("reloading the web config without a restart", () => {
  const hash = (password: string, prefix: "$2y$" | "$2b$") => `${prefix}${bcrypt.hashSync(password, 4).slice(4)}`;

  it("applies a password change, ignores a broken edit (logged, gauge 0, old config kept), then applies a good edit (gauge 1)", async () => {
    const dir = scratchWithFixtures();
    const file = join(dir, "web.yml");
    replaceFile(file, `basic_auth_users:\n  alice: "${hash("old-password", "$2y$")}"\n`);
    const exporter = await startExporterProcess([`--web.config.file=${file}`], simulatorEnv(simulator.url));
    const url = `http://127.0.0.1:${exporter.port}/metrics`;
    const status = async (user: string, password: string) => (await fetch(url, { headers: { authorization: basic(user, password) } })).status;
    const metrics = async (user: string, password: string) => fetch(url, { headers: { authorization: basic(user, password) } }).then((r) => r.text());
    expect(await status("alice", "old-password")).toBe(200);

    replaceFile(file, `basic_auth_users:\n  alice: "${hash("new-password", "$2b$")}"\n`);
    await waitFor(async () => (await status("alice", "new-password")) === 200, 5_000, "the new password");
    expect(await status("alice", "old-password")).toBe(401);
    // The log line reaches our pipe after the answer that already used the new config: wait for it.
    await waitFor(() => exporter.log().some((line) => line.msg === "web config reloaded"), 5_000, "the reloaded log line");
    expect(exporter.log().filter((line) => line.msg === "web config reloaded")).toMatchObject([{ level: "info", trigger: "change", basic_auth_users: 1, tls: false }]);
    const firstTimestamp = /^aws_ssm_exporter_web_config_last_reload_success_timestamp_seconds (\S+)$/m.exec(await metrics("alice", "new-password"))?.[1];

    replaceFile(file, `basic_auth_users:\n  alice: "${hash("broken", "$2y$")}"\n  bogus_key: [\n`);
    await waitFor(() => exporter.log().some((line) => line.msg === "web config reload failed"), 5_000, "the reload failure");
    const failure = exporter.log().find((line) => line.msg === "web config reload failed");
    expect(failure).toMatchObject({ level: "error", trigger: "change", web_config_file: file });
    expect((failure?.problems as string[])[0]).toMatch(/^web config: /);
    expect(await status("alice", "new-password")).toBe(200);
    expect(await status("alice", "broken")).toBe(401);
    const broken = await metrics("alice", "new-password");
    expect(broken).toContain("aws_ssm_exporter_web_config_last_reload_successful 0");
    expect(broken).toContain(`aws_ssm_exporter_web_config_last_reload_success_timestamp_seconds ${firstTimestamp}`);
    // One error line per broken edit, not one per check.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(exporter.log().filter((line) => line.msg === "web config reload failed")).toHaveLength(1);

    replaceFile(file, `basic_auth_users:\n  alice: "${hash("fixed", "$2y$")}"\n  bob: "${hash("bobs", "$2b$")}"\n`);
    await waitFor(async () => (await status("bob", "bobs")) === 200, 5_000, "the good edit");
    expect(await metrics("alice", "fixed")).toContain("aws_ssm_exporter_web_config_last_reload_successful 1");
    await waitFor(() => exporter.log().filter((line) => line.msg === "web config reloaded").length >= 2, 5_000, "the second reloaded log line");
    expect(exporter.log().filter((line) => line.msg === "web config reloaded")).toHaveLength(2);
    expect(exporter.run.stdout()).not.toContain("$2");
    expect(exporter.run.child.exitCode).toBeNull();
  });

  it("reloads on SIGHUP, and refuses to switch from HTTP to HTTPS without a restart", async () => {
    const dir = scratchWithFixtures();
    const file = join(dir, "web.yml");
    replaceFile(file, readFileSync(join(TLS_FIXTURES, "users.web-config.yml"), "utf8"));
    const exporter = await startExporterProcess([`--web.config.file=${file}`], simulatorEnv(simulator.url));
    exporter.run.child.kill("SIGHUP");
    await waitFor(() => exporter.log().some((line) => line.msg === "web config reloaded"), 5_000, "the SIGHUP reload");
    expect(exporter.log().find((line) => line.signal === "SIGHUP")).toMatchObject({
      level: "info",
      msg: "SIGHUP: reloading the web config; other configuration is read only at start, restart the exporter to apply changes",
    });
    expect(exporter.log().find((line) => line.msg === "web config reloaded")).toMatchObject({ trigger: "SIGHUP", basic_auth_users: 3 });

    replaceFile(file, `${fixture("users.web-config.yml")}${fixture("tls.web-config.yml")}`);
    await waitFor(() => exporter.log().some((line) => line.msg === "web config reload failed"), 5_000, "the refused switch");
    expect(exporter.log().find((line) => line.msg === "web config reload failed")?.problems).toEqual([
      "web config: tls_server_config: set now but not at start: restart the exporter to switch between HTTP and HTTPS",
    ]);
    const reply = await fetch(`http://127.0.0.1:${exporter.port}/metrics`, { headers: { authorization: basic("user2b", "secret") } });
    expect(reply.status).toBe(200);
    expect(await reply.text()).toContain("aws_ssm_exporter_web_config_last_reload_successful 0");
  });
});
