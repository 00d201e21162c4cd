import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { AwsCallError, INVALID_RESPONSE } from "../domain/association.js";
import { settleBy } from "../settle-by.js";
import type { AccountIdentity } from "./account-identity.js";
import { apiCallRecorderPlugin, type ApiCallRecorder } from "./api-call-recorder.js";
import { abortedCallError, toAwsCallError } from "./aws-error.js";
import { sdkClientOptions, type CallSettings } from "./client-options.js";

const OPERATION = "GetCallerIdentity";
const ACCOUNT_ID = /^\d{12}$/;

/**
 * The account id of the default credential chain, from STS GetCallerIdentity (needs no IAM
 * permission). Asked once and cached for the process lifetime; a failure is not cached, so the next
 * poll asks again. Every region of the credential set shares one lookup; each caller waits only as
 * long as its own poll's signal allows.
 */
export function callerIdentity(stsRegion: string, settings: CallSettings, recordApiCall: ApiCallRecorder, onKnown?: (accountId: string) => void): AccountIdentity {
  let known: string | undefined;
  let inFlight: Promise<string> | undefined;
  return {
    operation: OPERATION,
    get knownAccountId() {
      return known;
    },
    accountId: (signal) => {
      if (known !== undefined) return Promise.resolve(known);
      inFlight ??= lookup(stsRegion, settings, recordApiCall).then(
        (account) => {
          known = account;
          onKnown?.(account);
          return account;
        },
        (err: unknown) => {
          inFlight = undefined;
          throw err;
        },
      );
      return settleBy(inFlight, signal).catch((err: unknown) => {
        throw signal.aborted ? abortedCallError(signal, OPERATION, stsRegion) : err;
      });
    },
  };
}

/** A configured account id: labels never depend on STS, and no call is made to learn it. */
export function configuredIdentity(accountId: string): AccountIdentity {
  return { operation: "ConfiguredAccountId", knownAccountId: accountId, accountId: () => Promise.resolve(accountId) };
}

async function lookup(region: string, settings: CallSettings, recordApiCall: ApiCallRecorder, credentials?: AwsCredentialIdentityProvider): Promise<string> {
  const client = new STSClient(sdkClientOptions(region, settings, credentials));
  client.middlewareStack.use(apiCallRecorderPlugin(recordApiCall));
  try {
    const identity: unknown = await client.send(new GetCallerIdentityCommand({}));
    const account = (identity as { Account?: unknown } | undefined)?.Account;
    if (typeof account !== "string" || !ACCOUNT_ID.test(account)) {
      throw new AwsCallError(OPERATION, INVALID_RESPONSE, region, `invalid GetCallerIdentity response: Account ${account === undefined ? "is missing" : "is not a 12-digit account id"}`, undefined, "Account");
    }
    return account;
  } catch (err) {
    throw toAwsCallError(err, OPERATION, region);
  } finally {
    client.destroy();
  }
}
