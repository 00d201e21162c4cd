import { ListAssociationsCommand, SSMClient } from "@aws-sdk/client-ssm";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { CommanderError } from "commander";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseCliArgs, parseDuration, runCli, type CliIo } from "../../dev/simulator/cli.js";
import { stsClient } from "./helpers.js";

function captureIo(): CliIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l) };
}

describe("simulator CLI flags", () => {
  it("has demo-friendly defaults", () => {
    expect(parseCliArgs([])).toEqual({
      host: "127.0.0.1",
      port: 4566,
      regions: ["us-east-1"],
      associations: 150,
      seed: 1,
      accountId: "123456789012",
      accessKeys: [],
      roles: [],
      credentialLifetimeSeconds: undefined,
      churnEveryMs: undefined,
      churnCount: 3,
      orgAccounts: 0,
      orgMemberAssociations: 0,
    });
  });

  it("parses the documented invocation", () => {
    const o = parseCliArgs(
      "--port 4566 --regions us-east-1,eu-west-1 --associations 150 --seed 1 --churn-every 15s --access-key AKIDB=222222222222".split(" "),
    );
    expect(o).toMatchObject({
      port: 4566,
      regions: ["us-east-1", "eu-west-1"],
      associations: 150,
      seed: 1,
      churnEveryMs: 15_000,
      accessKeys: [["AKIDB", "222222222222"]],
    });
  });

  it.each([
    ["--port", "70000"],
    ["--associations", "-3"],
    ["--churn-every", "soon"],
    ["--access-key", "AKID"],
    ["--regions", ","],
    ["--role", "arn:aws:iam::222222222222:user/bob"],
    ["--credential-lifetime", "1500ms"],
    ["--bogus", "1"],
  ])("rejects %s %s", (flag, value) => {
    const io = captureIo();
    expect(() => parseCliArgs([flag, value], io)).toThrow(CommanderError);
    expect(io.errLines.join("\n")).toMatch(/error/);
  });

  it("collects roles and the credential lifetime", () => {
    const o = parseCliArgs([
      ...["--role", "arn:aws:iam::222222222222:role/reader", "--role", "arn:aws:iam::333333333333:role/ops/reader"],
      ...["--role", "arn:aws:iam::222222222222:role/reader", "--credential-lifetime", "20s"],
    ]);
    expect(o.roles).toEqual(["arn:aws:iam::222222222222:role/reader", "arn:aws:iam::333333333333:role/ops/reader"]);
    expect(o.credentialLifetimeSeconds).toBe(20);
  });

  it("parses durations", () => {
    expect([parseDuration("500ms"), parseDuration("15s"), parseDuration("1.5m"), parseDuration("1h")]).toEqual([500, 15_000, 90_000, 3_600_000]);
    expect(() => parseDuration("0s")).toThrow();
  });
});

describe("runCli", () => {
  it("fills every account×region, prints the URL as one line, and churns", async () => {
    const io = captureIo();
    const options = parseCliArgs([
      ...["--port", "0", "--regions", "us-east-1,eu-west-1", "--associations", "12"],
      ...["--access-key", "AKIDB=222222222222", "--churn-every", "20ms", "--churn-count", "2"],
    ]);
    const cli = await runCli(options, io);
    try {
      const { sim, url } = cli.running;
      expect(io.outLines).toEqual([url]);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(sim.scopes()).toHaveLength(4);
      for (const scope of sim.scopes()) expect(sim.getAssociations(scope)).toHaveLength(12);
      expect(sim.getAssociations({ region: "us-east-1", accountId: "222222222222" })[0]?.AssociationId).not.toBe(
        sim.getAssociations({ region: "us-east-1" })[0]?.AssociationId,
      );
      const sts = stsClient(url, "us-east-1", "AKIDB");
      expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe("222222222222");
      sts.destroy();

      await new Promise((r) => setTimeout(r, 80));
      expect(io.errLines.some((l) => /^churn 123456789012\/eu-west-1: \S+→(Success|Failed) \S+→(Success|Failed)$/.test(l))).toBe(true);
    } finally {
      await cli.stop();
    }
  });

  it("fills the accounts of --role ARNs, which the SDK then reads through AssumeRole", async () => {
    const io = captureIo();
    const roleArn = "arn:aws:iam::444444444444:role/exporter";
    const options = parseCliArgs(["--port", "0", "--regions", "us-east-1,eu-west-1", "--associations", "4"]);
    const cli = await runCli({ ...options, roles: [roleArn], credentialLifetimeSeconds: 600 }, io);
    try {
      const { sim, url } = cli.running;
      expect(sim.scopes()).toHaveLength(4);
      expect(sim.credentialLifetimeSeconds).toBe(600);
      const ssm = new SSMClient({
        region: "eu-west-1",
        endpoint: url,
        maxAttempts: 1,
        credentials: fromTemporaryCredentials({
          params: { RoleArn: roleArn, RoleSessionName: "demo" },
          masterCredentials: { accessKeyId: "AKIDDEMO", secretAccessKey: "x" },
          clientConfig: { region: "us-east-1", endpoint: url, maxAttempts: 1 },
        }),
      });
      const out = await ssm.send(new ListAssociationsCommand({}));
      expect(out.Associations?.map((a) => a.AssociationId)).toEqual(
        sim.getAssociations({ region: "eu-west-1", accountId: "444444444444" }).map((a) => a.AssociationId),
      );
      ssm.destroy();
    } finally {
      await cli.stop();
    }
  });

  const builtCli = fileURLToPath(new URL("../../dist-dev/simulator/cli.js", import.meta.url));
  it("runs as a process and stops on SIGTERM (`npm test` builds dist-dev/ first)", async () => {
    const child = spawn(process.execPath, [builtCli, "--port", "0", "--associations", "3"], { stdio: ["ignore", "pipe", "pipe"] });
    const [chunk] = (await once(child.stdout, "data")) as [Buffer];
    const url = chunk.toString().trim();
    const res = await fetch(`${url}/_sim/associations?region=us-east-1`);
    expect(((await res.json()) as unknown[]).length).toBe(3);

    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
  });
});
