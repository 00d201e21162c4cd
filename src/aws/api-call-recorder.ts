import type { HandlerExecutionContext, Pluggable } from "@smithy/types";
import { awsErrorCode } from "./aws-error.js";

/**
 * The one shape in which every AWS call is reported: the operation (e.g. ListAssociations) and its
 * outcome, "success" or the error code. The caller binds it to the account and region it belongs to.
 */
export type ApiCallRecorder = (operation: string, outcome: string) => void;

const ATTEMPTED = Symbol("ssmExporterAttempted");
type Context = HandlerExecutionContext & { [ATTEMPTED]?: boolean };

function operationOf(context: HandlerExecutionContext): string {
  return (context.commandName ?? "Unknown").replace(/Command$/, "");
}

/**
 * SDK middleware that reports every attempt, and every call that failed before its first attempt.
 *
 * - Per attempt: in the finalizeRequest step below the retry middleware, so retries and throttled
 *   attempts count one by one, around the deserializer that turns error responses into named errors.
 * - Per call, for failures before any attempt: credentials are resolved in the serialize step, so a
 *   credential-provider failure (no credentials, AssumeRole refused) never reaches the attempt
 *   middleware; the initialize step sees it and reports it under the call's operation.
 */
export function apiCallRecorderPlugin<Input extends object, Output extends object>(record: ApiCallRecorder): Pluggable<Input, Output> {
  return {
    applyToStack(stack) {
      stack.add(
        (next, context: Context) => async (args) => {
          try {
            return await next(args);
          } catch (err) {
            if (!context[ATTEMPTED]) record(operationOf(context), awsErrorCode(err));
            throw err;
          }
        },
        // override: fromTemporaryCredentials applies its client plugins again on every AssumeRole call.
        { step: "initialize", priority: "high", name: "ssmExporterCallRecorder", override: true },
      );
      stack.add(
        (next, context: Context) => async (args) => {
          context[ATTEMPTED] = true;
          try {
            const result = await next(args);
            record(operationOf(context), "success");
            return result;
          } catch (err) {
            record(operationOf(context), awsErrorCode(err));
            throw err;
          }
        },
        { step: "finalizeRequest", priority: "low", name: "ssmExporterAttemptRecorder", override: true },
      );
    },
  };
}
