import type { Pluggable } from "@smithy/types";
import { awsErrorCode } from "./aws-error.js";

/** Called once per HTTP attempt (retries counted one by one) with "success" or the AWS error code. */
export type ApiCallRecorder = (operation: string, outcome: string) => void;

/**
 * SDK middleware that reports every attempt. It sits in the finalizeRequest step below the retry
 * middleware, so it runs once per attempt, around the deserializer that turns error responses into
 * named exceptions.
 */
export function apiCallRecorderPlugin<Input extends object, Output extends object>(
  record: ApiCallRecorder,
): Pluggable<Input, Output> {
  return {
    applyToStack(stack) {
      stack.add(
        (next, context) => async (args) => {
          const operation = (context.commandName ?? "Unknown").replace(/Command$/, "");
          try {
            const result = await next(args);
            record(operation, "success");
            return result;
          } catch (err) {
            record(operation, awsErrorCode(err));
            throw err;
          }
        },
        // override: fromTemporaryCredentials applies its client plugins again on every AssumeRole call.
        { step: "finalizeRequest", priority: "low", name: "ssmExporterApiCallRecorder", override: true },
      );
    },
  };
}
