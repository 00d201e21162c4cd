import { AwsCallError, INVALID_RESPONSE, PollAborted } from "../domain/association.js";

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * Any rejection of an SDK call → AwsCallError with the AWS error code. Service errors carry the code
 * in `name`; network errors in `code` (ECONNREFUSED, ...); SDK timeouts are named TimeoutError.
 */
export function toAwsCallError(err: unknown, operation: string, region: string): AwsCallError {
  if (err instanceof AwsCallError) return err;
  const shape = asShape(err);
  const message = typeof shape.message === "string" && shape.message !== "" ? firstLine(shape.message) : String(err);
  return new AwsCallError(operation, awsErrorCode(err), region, message, httpStatusOf(shape));
}

function asShape(err: unknown): SdkErrorShape {
  return typeof err === "object" && err !== null ? (err as SdkErrorShape) : {};
}

function httpStatusOf(shape: SdkErrorShape): number | undefined {
  return typeof shape.$metadata?.httpStatusCode === "number" ? shape.$metadata.httpStatusCode : undefined;
}

/** The AWS error code of an SDK rejection, e.g. ThrottlingException, ECONNREFUSED, TimeoutError, HTTP502. */
export function awsErrorCode(err: unknown): string {
  if (err instanceof AwsCallError) return err.code;
  const shape = asShape(err);
  const httpStatus = httpStatusOf(shape);
  // Service exceptions (those with $fault) are named by their AWS error code.
  if (shape.$fault !== undefined && typeof shape.name === "string" && !/^Unknown(Error)?$/.test(shape.name)) return shape.name;
  if (typeof shape.code === "string" && /^[A-Z0-9_]+$/.test(shape.code)) return shape.code; // Node network errors
  // A 2xx the SDK could not parse (truncated JSON, an HTML page, not JSON at all) is not data.
  if (httpStatus !== undefined && httpStatus >= 200 && httpStatus < 300) return INVALID_RESPONSE;
  // A response the SDK could not parse (a proxy's HTML error page, say): its status is all we know.
  if (httpStatus !== undefined) return `HTTP${httpStatus}`;
  if (typeof shape.name === "string" && shape.name !== "" && shape.name !== "Error") return shape.name; // TimeoutError, AbortError
  return "UnknownError";
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** The error of a call cut short by the poll's signal: PollTimeout or Shutdown, naming the call. */
export function abortedCallError(signal: AbortSignal, operation: string, region: string): AwsCallError {
  const reason: unknown = signal.reason;
  if (reason instanceof PollAborted) return new AwsCallError(operation, reason.code, region, reason.message);
  return new AwsCallError(operation, "Aborted", region, "the call was aborted");
}
