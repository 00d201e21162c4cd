import type { AwsCredentialIdentityProvider } from "@smithy/types";

/** What every AWS client of the exporter is built from: one place, so SSM and STS never drift apart. */
export interface CallSettings {
  /** Deadline of one HTTP attempt: connecting, waiting for the response and any silence while reading it. */
  readonly requestTimeoutMs: number;
  /** Attempts per call, retries included (adaptive retry mode). */
  readonly maxAttempts: number;
}

/** Connecting never gets longer than this, even with a long request timeout: a black-holed endpoint fails fast. */
const MAX_CONNECTION_TIMEOUT_MS = 5_000;

/**
 * Options for an SSM or STS client. The node-http-handler only warns when `requestTimeout` passes
 * unless `throwOnRequestTimeout` is set, and `requestTimeout` ends when the response headers arrive:
 * the socket (inactivity) timeout bounds a response whose body stalls.
 */
export function sdkClientOptions(region: string, settings: CallSettings, credentials?: AwsCredentialIdentityProvider) {
  return {
    region,
    ...(credentials ? { credentials } : {}),
    retryMode: "adaptive",
    maxAttempts: settings.maxAttempts,
    requestHandler: {
      requestTimeout: settings.requestTimeoutMs,
      connectionTimeout: Math.min(settings.requestTimeoutMs, MAX_CONNECTION_TIMEOUT_MS),
      socketTimeout: settings.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  } as const;
}
