import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from "@smithy/core";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { settleBy } from "../settle-by.js";
import { callerIdentity, configuredIdentity } from "./account-id.js";
import type { AccountIdentity } from "./account-identity.js";
import { apiCallRecorderPlugin, type ApiCallRecorder } from "./api-call-recorder.js";
import { abortedCallError, toAwsCallError } from "./aws-error.js";
import { sdkClientOptions, type CallSettings } from "./client-options.js";

/**
 * The credentials of one target and how to learn its account id. Every region of the target shares
 * it, so STS is asked once per credential set, not once per region.
 */
export interface CredentialSet {
  /** undefined = the SDK's default chain (env, profile, IRSA / Pod Identity, instance role). */
  readonly credentials: AwsCredentialIdentityProvider | undefined;
  readonly identity: AccountIdentity;
}

/**
 * The default chain. Its account id is the configured one if any (no STS call at all), else the
 * answer of one GetCallerIdentity call, cached for the process lifetime.
 */
export function defaultCredentialSet(
  stsRegion: string,
  settings: CallSettings,
  recordApiCall: ApiCallRecorder,
  options: { readonly accountId?: string | undefined; readonly onKnown?: (accountId: string) => void } = {},
): CredentialSet {
  const identity = options.accountId === undefined ? callerIdentity(stsRegion, settings, recordApiCall, options.onKnown) : configuredIdentity(options.accountId);
  return { credentials: undefined, identity };
}

export interface AssumedRole {
  readonly roleArn: string;
  readonly externalId?: string | undefined;
  readonly sessionName: string;
}

/** 12 digits after `arn:<partition>:iam::`. */
export function accountIdOfRoleArn(roleArn: string): string | undefined {
  return /^arn:aws[\w-]*:iam::(\d{12}):role\//.exec(roleArn)?.[1];
}

/**
 * Temporary credentials of an assumed role (STS AssumeRole with the default chain's credentials),
 * cached and refreshed 5 minutes before they expire. The account id comes from the role ARN, so no
 * GetCallerIdentity call is needed; accountId() also makes sure the role can be assumed.
 */
export function assumedRoleCredentialSet(role: AssumedRole, stsRegion: string, settings: CallSettings, recordApiCall: ApiCallRecorder): CredentialSet {
  const accountId = accountIdOfRoleArn(role.roleArn);
  if (accountId === undefined) throw new Error(`not an IAM role ARN: ${role.roleArn}`);
  const provider = fromTemporaryCredentials({
    params: {
      RoleArn: role.roleArn,
      RoleSessionName: role.sessionName,
      ...(role.externalId === undefined ? {} : { ExternalId: role.externalId }),
    },
    clientConfig: sdkClientOptions(stsRegion, settings),
    clientPlugins: [apiCallRecorderPlugin(recordApiCall)],
  });
  const memoized = memoizeIdentityProvider<AwsCredentialIdentity>(provider, isIdentityExpired, doesIdentityRequireRefresh);
  if (!memoized) throw new Error("no credential provider");
  return {
    credentials: memoized,
    identity: {
      operation: "AssumeRole",
      knownAccountId: accountId,
      accountId: async (signal) => {
        try {
          await settleBy(memoized(), signal);
        } catch (err) {
          throw signal.aborted ? abortedCallError(signal, "AssumeRole", stsRegion) : toAwsCallError(err, "AssumeRole", stsRegion);
        }
        return accountId;
      },
    },
  };
}
