#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { pathToFileURL } from "node:url";
import { parseRoleArn } from "./assumed-roles.js";
import { mulberry32 } from "./rng.js";
import { startSimulator, type RunningSimulator } from "./server.js";
import { DEFAULT_ACCOUNT_ID } from "./simulator.js";
import type { SimScope } from "./types.js";

export interface CliOptions {
  host: string;
  port: number;
  regions: string[];
  associations: number;
  seed: number;
  accountId: string;
  /** [accessKeyId, accountId] pairs; each mapped account gets its own data too. */
  accessKeys: [string, string][];
  /** Role ARNs whose accounts get data too (AssumeRole works for any role; this is about data). */
  roles?: string[];
  /** AssumeRole Expiration override in whole seconds (undefined = DurationSeconds, default 3600). */
  credentialLifetimeSeconds?: number | undefined;
  churnEveryMs: number | undefined;
  churnCount: number;
  /** Accounts of a generated AWS Organizations organization, the management account (= accountId) included; 0 = none. */
  orgAccounts?: number;
  /** Associations per region for each ACTIVE org member that has no data otherwise (default 0: empty listings). */
  orgMemberAssociations?: number;
}

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface RunningCli {
  running: RunningSimulator;
  stop(): Promise<void>;
}

/** Parses user arguments (without `node cli.js`). Throws CommanderError on bad input or --help. */
export function parseCliArgs(argv: readonly string[], io?: CliIo): CliOptions {
  const program = new Command("ssm-simulator")
    .description("Simulated AWS SSM (ListAssociations, DescribeAssociation, DescribeAssociationExecutions, DescribeAssociationExecutionTargets, ListTagsForResource), STS (GetCallerIdentity, AssumeRole) and Organizations (ListRoots, ListAccounts, ListAccountsForParent, ListChildren, DescribeOrganization) endpoint for demos and tests")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 = any free port)", parsePort, 4566)
    .option("--regions <list>", "comma-separated regions to fill with data", parseList, ["us-east-1"])
    .option("--associations <n>", "associations generated per account and region", parseCount, 150)
    .option("--seed <n>", "seed for generated data", parseInteger, 1)
    .option("--account-id <id>", "default account (for unmapped access keys)", parseAccountId, DEFAULT_ACCOUNT_ID)
    .option("--access-key <AKID=ACCOUNT>", "map an access key id to an account (repeatable)", collectAccessKey, [])
    .option("--role <arn>", "an IAM role ARN whose account gets data in every region (repeatable)", collectRole, [])
    .option("--credential-lifetime <duration>", "lifetime of AssumeRole credentials, whole seconds (e.g. 20s, 15m)", parseLifetime)
    .option("--churn-every <duration>", "flip statuses of a few associations this often, and run what came due (e.g. 15s, 1m)", parseDuration)
    .option("--churn-count <n>", "associations flipped per churn tick and scope", parseCount, 3)
    .option("--org-accounts <n>", "make an AWS Organizations organization of n accounts (seeded by --seed) managed by --account-id; --access-key and --role accounts become members; 0 = no organization", parseCount, 0)
    .option("--org-member-associations <n>", "associations per region for each other ACTIVE organization member (default: none)", parseCount, 0)
    .exitOverride()
    .allowExcessArguments(false);
  if (io !== undefined) program.configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  program.parse([...argv], { from: "user" });
  const o = program.opts<{
    host: string;
    port: number;
    regions: string[];
    associations: number;
    seed: number;
    accountId: string;
    accessKey: [string, string][];
    role: string[];
    credentialLifetime?: number;
    churnEvery?: number;
    churnCount: number;
    orgAccounts: number;
    orgMemberAssociations: number;
  }>();
  return {
    host: o.host,
    port: o.port,
    regions: o.regions,
    associations: o.associations,
    seed: o.seed,
    accountId: o.accountId,
    accessKeys: o.accessKey,
    roles: o.role,
    credentialLifetimeSeconds: o.credentialLifetime,
    churnEveryMs: o.churnEvery,
    churnCount: o.churnCount,
    orgAccounts: o.orgAccounts,
    orgMemberAssociations: o.orgMemberAssociations,
  };
}

/** Starts the server, fills every account×region, prints the URL as one line, starts churning. */
export async function runCli(options: CliOptions, io: CliIo): Promise<RunningCli> {
  const running = await startSimulator({
    host: options.host,
    port: options.port,
    defaultAccountId: options.accountId,
    ...(options.credentialLifetimeSeconds !== undefined && { credentialLifetimeSeconds: options.credentialLifetimeSeconds }),
  });
  const { sim } = running;
  for (const [accessKeyId, accountId] of options.accessKeys) sim.mapAccessKey(accessKeyId, accountId);
  const roleAccounts = (options.roles ?? []).map((arn) => {
    const role = parseRoleArn(arn);
    if (role === undefined) throw new TypeError(`not an IAM role ARN: ${arn}`);
    return role.accountId;
  });
  const accounts = [...new Set([options.accountId, ...options.accessKeys.map(([, account]) => account), ...roleAccounts])];
  const scopes: Required<SimScope>[] = accounts.flatMap((accountId) => options.regions.map((region) => ({ accountId, region })));
  // Accounts get different seeds so their association ids differ.
  scopes.forEach((scope) => sim.generate(scope, options.associations, options.seed + accounts.indexOf(scope.accountId)));
  const orgAccounts = options.orgAccounts ?? 0;
  if (orgAccounts > 0) {
    const members = sim.organization().generateOrganization({
      accounts: Math.max(orgAccounts, accounts.length),
      seed: options.seed,
      managementAccountId: options.accountId,
      memberAccountIds: accounts.filter((a) => a !== options.accountId),
    });
    const others = members.filter((a) => a.State === "ACTIVE" && !accounts.includes(a.Id));
    const memberAssociations = options.orgMemberAssociations ?? 0;
    if (memberAssociations > 0) {
      others.forEach((a, i) => {
        // Seeds after the ones above, so member association ids differ from theirs and each other's.
        for (const region of options.regions) sim.generate({ accountId: a.Id, region }, memberAssociations, options.seed + accounts.length + i);
      });
    }
    io.err(`organization ${sim.organization().describe().Id}: ${members.length} accounts, ${sim.organization().organizationalUnits().length} OUs, management account ${options.accountId}`);
  }
  io.out(running.url);

  let timer: NodeJS.Timeout | undefined;
  if (options.churnEveryMs !== undefined) {
    const rng = mulberry32(options.seed);
    timer = setInterval(() => {
      for (const scope of scopes) {
        const changed = sim.churn(scope, options.churnCount, rng);
        const summary = changed.map((a) => `${a.AssociationId}→${a.Overview?.Status ?? "?"}`).join(" ");
        io.err(`churn ${scope.accountId}/${scope.region}: ${summary}`);
        // What came due since runs, so on-time associations stay on time however long this runs.
        const ran = sim.runDue(scope);
        if (ran.length > 0) io.err(`ran on schedule ${scope.accountId}/${scope.region}: ${ran.map((a) => a.AssociationId).join(" ")}`);
      }
    }, options.churnEveryMs);
    timer.unref();
  }
  return {
    running,
    stop: async () => {
      if (timer !== undefined) clearInterval(timer);
      await running.close();
    },
  };
}

async function main(): Promise<void> {
  const io: CliIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };
  let options: CliOptions;
  try {
    options = parseCliArgs(process.argv.slice(2), io);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    throw err;
  }
  const cli = await runCli(options, io);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    io.err(`received ${signal}, stopping`);
    cli.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        io.err(`error while stopping: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

function parsePort(value: string): number {
  const n = parseInteger(value);
  if (n < 0 || n > 65535) throw new InvalidArgumentError("must be between 0 and 65535");
  return n;
}

function parseInteger(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError("must be an integer");
  return Number(value);
}

function parseCount(value: string): number {
  const n = parseInteger(value);
  if (n < 0) throw new InvalidArgumentError("must not be negative");
  return n;
}

function parseList(value: string): string[] {
  const items = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) throw new InvalidArgumentError("must name at least one region");
  return [...new Set(items)];
}

function parseAccountId(value: string): string {
  if (!/^\d{12}$/.test(value)) throw new InvalidArgumentError("must be 12 digits");
  return value;
}

function collectAccessKey(value: string, previous: [string, string][]): [string, string][] {
  const m = /^([^=\s]+)=(\d{12})$/.exec(value);
  if (m === null) throw new InvalidArgumentError("must look like AKIDEXAMPLE=123456789012");
  return [...previous, [m[1] ?? "", m[2] ?? ""]];
}

function collectRole(value: string, previous: string[]): string[] {
  if (parseRoleArn(value) === undefined) throw new InvalidArgumentError("must look like arn:aws:iam::222222222222:role/name");
  return previous.includes(value) ? previous : [...previous, value];
}

function parseLifetime(value: string): number {
  const seconds = parseDuration(value) / 1000;
  if (!Number.isInteger(seconds)) throw new InvalidArgumentError("must be a whole number of seconds, like 20s or 15m");
  return seconds;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "15s", "500ms", "1m", "1h" → milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  const ms = m === null ? Number.NaN : Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? Number.NaN);
  if (!(ms > 0)) throw new InvalidArgumentError("must be a positive duration like 500ms, 15s, 1m or 1h");
  return ms;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
