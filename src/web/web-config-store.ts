import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Logger } from "../log.js";
import { parseWebConfig, WebConfigError, type WebConfig } from "./web-config.js";

/** What made the store re-read the file: a changed file (seen by polling) or SIGHUP. */
export type ReloadTrigger = "change" | "SIGHUP";

export interface WebConfigStatus {
  /** Whether the latest load or reload was accepted. */
  readonly successful: boolean;
  /** When the configuration being used was loaded (Unix ms). */
  readonly lastSuccessMs: number;
}

export interface WebConfigStoreOptions {
  readonly logger: Logger;
  /** How often the file and the files it names are checked for changes; default 1 s. */
  readonly pollIntervalMs?: number;
  readonly now?: () => number;
}

/** The fields logged for a web config: its mode, never a hash or a key. */
export function describeWebConfig(config: WebConfig): { tls: boolean; client_auth: string | null; basic_auth_users: number } {
  return { tls: config.tls !== undefined, client_auth: config.tls?.clientAuth ?? null, basic_auth_users: config.users.size };
}

/**
 * The web config in use: the last one that loaded without a problem. Re-read when the file or a file
 * it names (certificates, keys, client CA) changes, and on SIGHUP; an edit that does not load is
 * logged and ignored, so the exporter keeps serving with the last good configuration.
 *
 * Changes are found by polling stat() (device, inode, size, mtime) rather than fs.watch: a Kubernetes
 * Secret volume updates by swapping a symlink to a new folder, which watchers on the old file miss.
 */
export class WebConfigStore {
  private config: WebConfig;
  private successful = true;
  private lastSuccessMs: number;
  /** Every file the latest attempt read (or tried to read), and how it looked just before. */
  private watched: Map<string, string>;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: ((config: WebConfig | undefined) => void)[] = [];
  private readonly now: () => number;

  /** Loads the file; throws WebConfigError listing its problems, so that nothing starts with a bad file. */
  constructor(
    readonly path: string,
    private readonly options: WebConfigStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    const attempt = read(path);
    this.watched = attempt.files;
    if (attempt.problems || !attempt.config) throw new WebConfigError(attempt.problems ?? []);
    this.config = attempt.config;
    this.lastSuccessMs = this.now();
  }

  current(): WebConfig {
    return this.config;
  }

  status(): WebConfigStatus {
    return { successful: this.successful, lastSuccessMs: this.lastSuccessMs };
  }

  /** Told after every reload attempt: the new configuration, or undefined when the attempt failed. */
  onReload(listener: (config: WebConfig | undefined) => void): void {
    this.listeners.push(listener);
  }

  /** Re-reads the file now. Returns whether the new configuration is in use. */
  reload(trigger: ReloadTrigger): boolean {
    const attempt = read(this.path);
    this.watched = attempt.files;
    const problems = attempt.problems ?? this.cannotApply(attempt.config);
    const { logger } = this.options;
    if (problems || !attempt.config) {
      this.successful = false;
      logger.error({ web_config_file: this.path, trigger, problems }, "web config reload failed");
      this.tell(undefined);
      return false;
    }
    this.config = attempt.config;
    this.successful = true;
    this.lastSuccessMs = this.now();
    logger.info({ web_config_file: this.path, trigger, ...describeWebConfig(attempt.config) }, "web config reloaded");
    this.tell(attempt.config);
    return true;
  }

  /** A valid file the running listener cannot take: it was created as HTTP or HTTPS and stays so. */
  private cannotApply(next: WebConfig | undefined): readonly string[] | undefined {
    if (next === undefined || (next.tls === undefined) === (this.config.tls === undefined)) return undefined;
    return [`web config: tls_server_config: ${next.tls ? "set now but not" : "gone now but set"} at start: restart the exporter to switch between HTTP and HTTPS`];
  }

  /** Starts checking the files for changes. The timer never keeps the process alive by itself. */
  watch(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.changed()) this.reload("change");
    }, this.options.pollIntervalMs ?? 1_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private changed(): boolean {
    for (const [file, seen] of this.watched) if (fingerprint(file) !== seen) return true;
    return false;
  }

  private tell(config: WebConfig | undefined): void {
    for (const listener of this.listeners) {
      try {
        listener(config);
      } catch (err) {
        this.options.logger.error({ err, web_config_file: this.path }, "applying the web config failed");
      }
    }
  }
}

interface Attempt {
  readonly files: Map<string, string>;
  readonly config?: WebConfig;
  readonly problems?: readonly string[];
}

/**
 * One load of the file and of every file it names (parseWebConfig checks the certificates and keys).
 * Each file's fingerprint is taken before it is read, so a change during the read is seen by the next check.
 */
function read(path: string): Attempt {
  const files = new Map<string, string>();
  const absolute = resolve(path);
  const baseDir = dirname(absolute);
  files.set(absolute, fingerprint(absolute));
  let text: string;
  try {
    text = readFileSync(absolute, "utf8");
  } catch (err) {
    return { files, problems: [`web config: cannot read "${path}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`] };
  }
  try {
    const config = parseWebConfig(text, baseDir, (file) => {
      const named = resolve(baseDir, file);
      files.set(named, fingerprint(named));
      return readFileSync(named, "utf8");
    });
    return { files, config };
  } catch (err) {
    if (err instanceof WebConfigError) return { files, problems: err.problems };
    throw err;
  }
}

/** Device, inode, size and mtime of the file a path leads to (symlinks followed), or why there is none. */
function fingerprint(file: string): string {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch (err) {
    return `error:${(err as NodeJS.ErrnoException).code ?? "unknown"}`;
  }
}
