import { AwsCallError, POLL_TIMEOUT, PollAborted } from "../domain/association.js";
import { formatDuration } from "../config/duration.js";
import type { Logger } from "../log.js";
import { settleBy } from "../settle-by.js";
import type { DiscoveredAccount } from "./select-accounts.js";

export interface AccountDiscoveryOptions {
  /** One complete listing of the accounts to poll (validated, filtered), or a rejection with AwsCallError. */
  readonly discover: (signal: AbortSignal) => Promise<DiscoveredAccount[]>;
  /** --discovery.interval. */
  readonly intervalMs: number;
  /** Deadline of one discovery (every page, every retry). */
  readonly timeoutMs: number;
  /** After a failure, the next attempt comes this soon (if sooner than the interval). */
  readonly retryMs: number;
  /** A successful discovery: the new list, applied before the next one starts. */
  readonly apply: (accounts: readonly DiscoveredAccount[]) => Promise<void>;
  /** Every discovery's outcome: "success" or the error code. */
  readonly onOutcome?: (outcome: string, accounts: number | undefined) => void;
  readonly logger: Logger;
}

/**
 * Lists the organization's accounts now and then every interval, one discovery at a time. A failed
 * discovery is logged once and counted, keeps the last good list (nothing is applied) and is tried
 * again after `retryMs`.
 */
export class AccountDiscovery {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;
  private readonly shutdown = new AbortController();
  private last: readonly DiscoveredAccount[] | undefined;

  constructor(private readonly options: AccountDiscoveryOptions) {}

  /** The accounts of the last successful discovery; undefined before one. */
  accounts(): readonly DiscoveredAccount[] | undefined {
    return this.last;
  }

  /** Discovers now (joining one that runs) and schedules the next; resolves with whether it succeeded. */
  runOnce(): Promise<boolean> {
    this.running ??= this.discover().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Schedules discoveries from now on: the next after the interval, or sooner after a failure. */
  start(succeeded: boolean): void {
    this.schedule(succeeded ? this.options.intervalMs : Math.min(this.options.retryMs, this.options.intervalMs));
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.shutdown.abort(new PollAborted("Shutdown", "the exporter is shutting down"));
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.shutdown.signal.aborted) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.runOnce().then((ok) => this.start(ok));
    }, delayMs);
  }

  private async discover(): Promise<boolean> {
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new PollAborted(POLL_TIMEOUT, `the account discovery did not finish within ${formatDuration(this.options.timeoutMs)}`)),
      this.options.timeoutMs,
    );
    const onShutdown = () => abort.abort(this.shutdown.signal.reason);
    this.shutdown.signal.addEventListener("abort", onShutdown, { once: true });
    const started = performance.now();
    try {
      const accounts = await settleBy(this.options.discover(abort.signal), abort.signal);
      if (this.shutdown.signal.aborted) return false;
      const before = new Set((this.last ?? []).map((a) => a.id));
      const now = new Set(accounts.map((a) => a.id));
      await this.options.apply(accounts);
      this.last = accounts;
      this.options.onOutcome?.("success", accounts.length);
      this.options.logger.info(
        {
          accounts: accounts.length,
          added: accounts.filter((a) => !before.has(a.id)).map((a) => a.id),
          removed: [...before].filter((id) => !now.has(id)),
          duration_ms: Math.round(performance.now() - started),
        },
        "accounts discovered",
      );
      return true;
    } catch (err) {
      if (this.shutdown.signal.aborted) return false;
      const error = asError(err);
      this.options.onOutcome?.(error.code, undefined);
      this.options.logger.warn(
        {
          operation: error.operation,
          aws_error: error.code,
          ...(error.field === undefined ? {} : { field: error.field }),
          kept_accounts: this.last?.length ?? 0,
          duration_ms: Math.round(performance.now() - started),
        },
        `account discovery failed: ${error.operation} ${error.code}: ${error.message}; the last good account list is kept`,
      );
      return false;
    } finally {
      clearTimeout(timer);
      this.shutdown.signal.removeEventListener("abort", onShutdown);
    }
  }
}

function asError(err: unknown): AwsCallError {
  if (err instanceof AwsCallError) return err;
  if (err instanceof PollAborted) return new AwsCallError("ListAccounts", err.code, "us-east-1", err.message);
  return new AwsCallError("ListAccounts", "InternalError", "us-east-1", err instanceof Error ? err.message : String(err));
}
