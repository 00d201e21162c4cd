import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from "@smithy/core";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { accountIdResolver } from "./account-id.js";
import { apiCallRecorderPlugin } from "./api-call-recorder.js";
import { toAwsCallError } from "./aws-error.js";

/** Records one AWS API attempt under the account and region it was made for. */
export type ApiAttemptRecorder = (accountId: string, region: string, operation: string, outcome: string) => void;

/**
 * The credentials of one target and how to learn its account id. Every region of the target shares it,
 * so STS is asked once per credential set, not once per region.
 */
export interface CredentialSet {
  /** undefined = the SDK's default chain (env, profile, IRSA / Pod Identity, instance role). */
  readonly credentials: AwsCredentialIdentityProvider | undefined;
  /** Account id known without asking AWS (from the role ARN); undefined until learnt otherwise. */
  readonly knownAccountId: string | undefined;
  /** Resolves the account id; for an assumed role it also makes sure the role can be assumed. */
  accountId(): Promise<string>;
}

export interface CallSettings {
  readonly requestTimeoutMs: number;
  readonly maxAttempts: number;
  readonly recordApiCall: ApiAttemptRecorder;
}

/** The default chain; its account id from one GetCallerIdentity call, cached for the process lifetime. */
export function defaultCredentialSet(stsRegion: string, settings: CallSettings): CredentialSet {
  const resolve = accountIdResolver({
    region: stsRegion,
    requestTimeoutMs: settings.requestTimeoutMs,
    maxAttempts: settings.maxAttempts,
    recordApiCall: (operation, outcome, accountId) => settings.recordApiCall(accountId, stsRegion, operation, outcome),
  });
  return { credentials: undefined, knownAccountId: undefined, accountId: resolve };
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
 * GetCallerIdentity call is needed.
 */
export function assumedRoleCredentialSet(role: AssumedRole, stsRegion: string, settings: CallSettings): CredentialSet {
  const accountId = accountIdOfRoleArn(role.roleArn);
  if (accountId === undefined) throw new Error(`not an IAM role ARN: ${role.roleArn}`);
  const provider = fromTemporaryCredentials({
    params: {
      RoleArn: role.roleArn,
      RoleSessionName: role.sessionName,
      ...(role.externalId === undefined ? {} : { ExternalId: role.externalId }),
    },
    clientConfig: {
      region: stsRegion,
      retryMode: "adaptive",
      maxAttempts: settings.maxAttempts,
      requestHandler: { requestTimeout: settings.requestTimeoutMs },
    },
    clientPlugins: [apiCallRecorderPlugin((operation, outcome) => settings.recordApiCall(accountId, stsRegion, operation, outcome))],
  });
  const memoized = memoizeIdentityProvider<AwsCredentialIdentity>(provider, isIdentityExpired, doesIdentityRequireRefresh);
  if (!memoized) throw new Error("no credential provider");
  return {
    credentials: memoized,
    knownAccountId: accountId,
    accountId: async () => {
      try {
        await memoized();
      } catch (err) {
        throw toAwsCallError(err, "AssumeRole", stsRegion);
      }
      return accountId;
    },
  };
}
