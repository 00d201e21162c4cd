#!/usr/bin/env node
import { sdkDefaultRegion } from "./aws/region.js";
import { ConfigError, parseCommandLine, type CommandLine } from "./config/config.js";
import { startExporter, type RunningExporter } from "./exporter.js";
import { ListenError } from "./http/server.js";
import { createLogger } from "./log.js";
import { isSupportedNode, SUPPORTED_NODE_RANGE } from "./node-support.js";
import { readBuildInfo } from "./version.js";
import { WebConfigError } from "./web/web-config.js";

const EXIT_BAD_CONFIG = 2;
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

  const logger = createLogger(config.log.level);
  if (!isSupportedNode(process.version)) {
    logger.warn(
      { node: process.version, supported: SUPPORTED_NODE_RANGE },
      `Node.js ${process.version} is not supported (supported: ${SUPPORTED_NODE_RANGE}; the container image runs Node.js 24); AWS SDK releases from January 2027 need Node.js 22 or later`,
    );
  }
  let exporter: RunningExporter;
  try {
    exporter = await startExporter(config, { logger, build });
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
    exporter.close().then(
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
  // Node's default for SIGHUP is to die silently. It re-reads the web config (which is also re-read when
  // it changes); flags and the targets file are read once at start: restart the process to apply them.
  process.on("SIGHUP", () => {
    const { webConfig } = exporter;
    if (!webConfig) {
      logger.warn({ signal: "SIGHUP" }, "SIGHUP ignored: there is no --web.config.file to reload; other configuration is read only at start, restart the exporter to apply changes");
      return;
    }
    logger.info({ signal: "SIGHUP" }, "SIGHUP: reloading the web config; other configuration is read only at start, restart the exporter to apply changes");
    webConfig.reload("SIGHUP");
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`ssm-association-exporter: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
