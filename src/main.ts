#!/usr/bin/env node
import { pino } from "pino";
import { sdkDefaultRegion } from "./aws/region.js";
import { ConfigError, parseCommandLine, type CommandLine, type Config } from "./config/config.js";
import { describeTarget } from "./domain/snapshot.js";
import { startExporter, type RunningExporter } from "./exporter.js";
import { ListenError } from "./http/server.js";
import { createLogger, type Logger } from "./log.js";
import { isSupportedNode, SUPPORTED_NODE_RANGE } from "./node-support.js";
import { OnceInterrupted, pollOnce } from "./once/once.js";
import { OnceOutputError, writeAtomically } from "./once/output.js";
import { readBuildInfo, type BuildInfo } from "./version.js";
import { WebConfigError } from "./web/web-config.js";

const EXIT_BAD_CONFIG = 2;
/** One-shot mode: a target failed, the run was interrupted, or the output could not be written. */
const EXIT_FAILED = 1;
const SHUTDOWN_GRACE_MS = 4_000;

function fail(problems: readonly string[], code: number): never {
  for (const problem of problems) process.stderr.write(`ssm-association-exporter: ${problem}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  // The AWS SDK warns about old Node.js versions in nine unstructured lines on stderr at every start, between
  // the JSON log lines. The exporter says it once, as a log line of its own (below); a user's explicit
  // setting of the variable wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const build = readBuildInfo();
  let commandLine: CommandLine;
  try {
    commandLine = parseCommandLine(process.argv.slice(2), process.env, build.version, await sdkDefaultRegion());
  } catch (err) {
    if (err instanceof ConfigError) fail(err.problems, EXIT_BAD_CONFIG);
    throw err;
  }
  if (commandLine.kind === "help") {
    process.stdout.write(commandLine.text);
    return;
  }
  if (commandLine.kind === "version") {
    process.stdout.write(`${build.name} ${build.version} (revision ${build.revision}, Node.js ${build.nodejsVersion})\n`);
    return;
  }
  const { config } = commandLine;

  if (config.once) {
    // stdout carries only the exposition: the logs go to stderr (synchronously, so none is lost at exit).
    const logger = createLogger(config.log.level, pino.destination({ fd: 2, sync: true }));
    warnUnsupportedNode(logger);
    process.exit(await oneShot(config, config.once.output, { logger, build }));
  }

  const logger = createLogger(config.log.level);
  warnUnsupportedNode(logger);
  let exporter: RunningExporter | undefined;
  // Node's default for SIGHUP is to die silently, so the handler is in place before anything starts. It
  // re-reads the web config (which is also re-read when it changes); flags and the targets file are read
  // once at start: restart the process to apply them.
  process.on("SIGHUP", () => {
    if (exporter === undefined) {
      logger.info({ signal: "SIGHUP" }, "SIGHUP during start: ignored (the configuration is being read now)");
      return;
    }
    const { webConfig } = exporter;
    if (!webConfig) {
      logger.warn({ signal: "SIGHUP" }, "SIGHUP ignored: there is no --web.config.file to reload; other configuration is read only at start, restart the exporter to apply changes");
      return;
    }
    logger.info({ signal: "SIGHUP" }, "SIGHUP: reloading the web config; other configuration is read only at start, restart the exporter to apply changes");
    webConfig.reload("SIGHUP");
  });
  let running: RunningExporter;
  try {
    running = await startExporter(config, { logger, build });
    exporter = running;
  } catch (err) {
    // Both are found before any poll starts; a bad web config is found before anything listens.
    if (err instanceof WebConfigError) fail(err.problems, EXIT_BAD_CONFIG);
    if (err instanceof ListenError) fail([err.message], 1);
    throw err;
  }

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    // In-flight scrapes get a grace period; after it the process exits regardless.
    setTimeout(() => {
      logger.warn({ grace_ms: SHUTDOWN_GRACE_MS }, "shutdown grace period over, exiting");
      process.exit(0);
    }, SHUTDOWN_GRACE_MS).unref();
    running.close().then(
      () => {
        logger.info("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

function warnUnsupportedNode(logger: Logger): void {
  if (isSupportedNode(process.version)) return;
  logger.warn(
    { node: process.version, supported: SUPPORTED_NODE_RANGE },
    `Node.js ${process.version} is not supported (supported: ${SUPPORTED_NODE_RANGE}; the container image runs Node.js 24); AWS SDK releases from January 2027 need Node.js 22 or later`,
  );
}

/**
 * --once: one poll of every target, the exposition on stdout or atomically in `output`; returns the
 * exit code. A signal before every poll has finished aborts them and writes nothing (a previous file
 * stays as it was); once the exposition is complete, its write (milliseconds) is finished regardless.
 */
async function oneShot(config: Config, output: string | undefined, deps: { logger: Logger; build: BuildInfo }): Promise<number> {
  const { logger } = deps;
  const interrupt = new AbortController();
  let writing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted || writing) return;
    logger.warn({ signal }, `${signal}: aborting the one-shot poll; nothing is written`);
    interrupt.abort();
  };
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, onSignal);
  // A closed stdout (EPIPE) is reported by the write below; without a listener it would also be thrown.
  process.stdout.on("error", () => undefined);

  let result;
  try {
    result = await pollOnce(config, { ...deps, signal: interrupt.signal });
  } catch (err) {
    if (err instanceof OnceInterrupted) return EXIT_FAILED;
    throw err;
  }
  writing = true;
  try {
    if (output === undefined) await writeStdout(result.exposition);
    else await writeAtomically(output, result.exposition);
  } catch (err) {
    // Like a listen error in serve mode: one plain line, not a log event.
    const message = err instanceof OnceOutputError ? `--once.output: ${err.message}` : `cannot write the exposition to stdout: ${err instanceof Error ? err.message : String(err)}`;
    process.stderr.write(`ssm-association-exporter: ${message}\n`);
    return EXIT_FAILED;
  }
  const { targets } = result.snapshot;
  if (result.discoveryFailed) {
    logger.error(
      { targets: targets.length, output: output ?? "stdout" },
      "one-shot poll: the account discovery failed, so only the configured targets were polled; the exposition was written (aws_ssm_exporter_discovery_up 0)",
    );
    return EXIT_FAILED;
  }
  if (result.failed.length > 0) {
    logger.error(
      { failed_targets: result.failed.map(describeTarget), targets: targets.length, output: output ?? "stdout" },
      `one-shot poll: ${result.failed.length} of ${targets.length} targets failed; the exposition was written (aws_ssm_exporter_up 0 for each whose account is known)`,
    );
    return EXIT_FAILED;
  }
  // Silent at the default level on success: cron mails whatever a job prints.
  logger.debug({ targets: targets.length, bytes: result.exposition.length, output: output ?? "stdout" }, "one-shot poll: every target succeeded");
  return 0;
}

function writeStdout(data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(data, (err) => (err ? reject(err) : resolve())));
}

main().catch((err: unknown) => {
  process.stderr.write(`ssm-association-exporter: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
