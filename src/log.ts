import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config/config.js";

export type { Logger };

/** JSON lines on stdout (or the given stream, for tests), one event a line, `msg` as the message key. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "ssm-association-exporter" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
