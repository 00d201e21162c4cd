import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { apiCallRecorderPlugin } from "./api-call-recorder.js";
import { toAwsCallError } from "./aws-error.js";

export interface AccountIdOptions {
  readonly region: string;
  readonly credentials?: AwsCredentialIdentityProvider;
  readonly requestTimeoutMs: number;
  readonly maxAttempts: number;
  /** Called after the lookup, once per attempt, with the account id when it became known ("" if not). */
  readonly recordApiCall: (operation: string, outcome: string, accountId: string) => void;
}

/**
 * The account id of one credential set, from STS GetCallerIdentity (needs no IAM permission).
 * Asked once and cached for the process lifetime; a failure is not cached, so the next poll asks again.
 */
export function accountIdResolver(options: AccountIdOptions): () => Promise<string> {
  let cached: Promise<string> | undefined;
  return () => {
    cached ??= lookup(options).catch((err: unknown) => {
      cached = undefined;
      throw err;
    });
    return cached;
  };
}

async function lookup(options: AccountIdOptions): Promise<string> {
  const client = new STSClient({
    region: options.region,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    retryMode: "adaptive",
    maxAttempts: options.maxAttempts,
    requestHandler: { requestTimeout: options.requestTimeoutMs },
  });
  // Attempts are reported once the account id is known, so they carry it in their labels.
  const attempts: [string, string][] = [];
  client.middlewareStack.use(apiCallRecorderPlugin((operation, outcome) => attempts.push([operation, outcome])));
  let account = "";
  try {
    const identity = await client.send(new GetCallerIdentityCommand({}));
    if (!identity.Account) throw new Error("GetCallerIdentity returned no Account");
    account = identity.Account;
    return account;
  } catch (err) {
    throw toAwsCallError(err, "GetCallerIdentity", options.region);
  } finally {
    client.destroy();
    for (const [operation, outcome] of attempts) options.recordApiCall(operation, outcome, account);
  }
}
