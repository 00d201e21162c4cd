import { ListAssociationsCommand, SSMClient } from "@aws-sdk/client-ssm";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentity } from "@smithy/types";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { startSimulator, type RunningSimulator } from "../../dev/simulator/server.js";
import { association, rejection, ssmClient, stsClient, TEST_SECRET } from "./helpers.js";

const DEFAULT_ACCOUNT = "111111111111";
const PROD = "222222222222";
const STAGING = "333333333333";
const role = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;

let server: RunningSimulator;

beforeAll(async () => {
  server = await startSimulator({ defaultAccountId: DEFAULT_ACCOUNT });
  server.sim.setAssociations({ region: "us-east-1" }, [association(1)]);
  server.sim.setAssociations({ region: "us-east-1", accountId: PROD }, [association(2), association(3)]);
  server.sim.setAssociations({ region: "eu-west-1", accountId: STAGING }, [association(4)]);
});
afterAll(() => server.close());
beforeEach(() => {
  server.sim.clearFaults();
  server.sim.resetCounters();
  server.sim.setCredentialLifetime(undefined);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

interface RoleOptions {
  externalId?: string;
  masterAccessKeyId?: string;
  stsRegion?: string;
}

/** What the exporter does: fromTemporaryCredentials against the simulator's STS, one attempt. */
function assumedRole(roleArn: string, opts: RoleOptions = {}) {
  return fromTemporaryCredentials({
    params: {
      RoleArn: roleArn,
      RoleSessionName: "exporter",
      ...(opts.externalId !== undefined && { ExternalId: opts.externalId }),
    },
    masterCredentials: { accessKeyId: opts.masterAccessKeyId ?? "AKIDMASTER", secretAccessKey: TEST_SECRET },
    clientConfig: { region: opts.stsRegion ?? "us-east-1", endpoint: server.url, maxAttempts: 1 },
  });
}

function ssmAs(credentials: ReturnType<typeof assumedRole> | AwsCredentialIdentity, region = "us-east-1"): SSMClient {
  return new SSMClient({ region, endpoint: server.url, credentials, maxAttempts: 1 });
}

function stsAs(credentials: AwsCredentialIdentity, region = "us-east-1"): STSClient {
  return new STSClient({ region, endpoint: server.url, credentials, maxAttempts: 1 });
}

async function listIds(client: SSMClient): Promise<string[]> {
  const out = await client.send(new ListAssociationsCommand({}));
  return (out.Associations ?? []).map((a) => a.AssociationId ?? "");
}

/** Static temporary credentials straight from AssumeRole (no SDK refresh logic in the way). */
async function assumeOnce(roleArn: string): Promise<AwsCredentialIdentity> {
  const sts = stsClient(server.url);
  const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "static" }));
  sts.destroy();
  return {
    accessKeyId: Credentials?.AccessKeyId ?? "",
    secretAccessKey: Credentials?.SecretAccessKey ?? "",
    sessionToken: Credentials?.SessionToken ?? "",
  };
}

describe("fromTemporaryCredentials against the simulated STS", () => {
  it("reads the role's account with the assumed credentials and counts calls per account", async () => {
    const ssm = ssmAs(assumedRole(role(PROD, "exporter-reader"), { stsRegion: "eu-west-1" }));
    const plain = ssmClient(server.url, "us-east-1", "AKIDMASTER");

    expect(await listIds(ssm)).toEqual([association(2).AssociationId, association(3).AssociationId]);
    expect(await listIds(ssm)).toHaveLength(2);
    expect(await listIds(plain)).toEqual([association(1).AssociationId]);

    const sim = server.sim;
    // AssumeRole belongs to the caller (the master key's account) and the STS client's region.
    expect(sim.callCount("AssumeRole")).toBe(1);
    expect(sim.callCount("AssumeRole", { accountId: DEFAULT_ACCOUNT, region: "eu-west-1" })).toBe(1);
    expect(sim.callCount("ListAssociations", { accountId: PROD, region: "us-east-1" })).toBe(2);
    expect(sim.callCount("ListAssociations", { accountId: DEFAULT_ACCOUNT, region: "us-east-1" })).toBe(1);
    expect(sim.issuedCredentials()).toHaveLength(1);
    expect(sim.issuedCredentials()[0]).toMatchObject({ accountId: PROD, sessionName: "exporter", expired: false });
    ssm.destroy();
    plain.destroy();
  });

  it("finds STS through AWS_ENDPOINT_URL_STS with the default credential chain, as the exporter does", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_STS", server.url);
    vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIDFROMENV");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", TEST_SECRET);
    vi.stubEnv("AWS_SESSION_TOKEN", "");
    vi.stubEnv("AWS_PROFILE", "");
    server.sim.mapAccessKey("AKIDFROMENV", STAGING);
    const credentials = fromTemporaryCredentials({
      params: { RoleArn: role(PROD, "via-env"), RoleSessionName: "exporter" },
      clientConfig: { region: "us-west-2", maxAttempts: 1 },
    });
    const ssm = ssmAs(credentials);

    expect(await listIds(ssm)).toHaveLength(2);
    expect(server.sim.callCount("AssumeRole", { accountId: STAGING, region: "us-west-2" })).toBe(1);
    ssm.destroy();
  });

  it("GetCallerIdentity with assumed credentials names the role's account and the assumed-role ARN", async () => {
    const sts = new STSClient({
      region: "us-east-1",
      endpoint: server.url,
      credentials: assumedRole(role(STAGING, "path/to/auditor")),
      maxAttempts: 1,
    });
    const me = await sts.send(new GetCallerIdentityCommand({}));

    expect(me.Account).toBe(STAGING);
    expect(me.Arn).toBe(`arn:aws:sts::${STAGING}:assumed-role/auditor/exporter`);
    expect(me.UserId).toMatch(/^AROA[A-Z2-7]{17}:exporter$/);
    expect(server.sim.callCount("GetCallerIdentity", { accountId: STAGING, region: "us-east-1" })).toBe(1);
    sts.destroy();
  });

  it("a denied role surfaces as AccessDenied from the credential provider, until allowed", async () => {
    const arn = role(PROD, "denied");
    server.sim.denyAssumeRole(arn);
    const ssm = ssmAs(assumedRole(arn));

    const err = await rejection(ssm.send(new ListAssociationsCommand({})));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(["AccessDenied", 403]);
    expect(err.message).toBe(`User: arn:aws:iam::${DEFAULT_ACCOUNT}:user/simulated is not authorized to perform: sts:AssumeRole on resource: ${arn}`);
    expect(server.sim.callCount("AssumeRole")).toBe(1);
    expect(server.sim.callCount("ListAssociations")).toBe(0);

    server.sim.allowAssumeRole(arn);
    expect(await listIds(ssm)).toHaveLength(2);
    ssm.destroy();
  });

  it("a role that requires an ExternalId refuses a missing or wrong one", async () => {
    const arn = role(PROD, "third-party");
    server.sim.requireExternalId(arn, "s3cr3t-id");
    const missing = ssmAs(assumedRole(arn));
    const wrong = ssmAs(assumedRole(arn, { externalId: "guess" }));
    const right = ssmAs(assumedRole(arn, { externalId: "s3cr3t-id" }));

    expect((await rejection(missing.send(new ListAssociationsCommand({})))).name).toBe("AccessDenied");
    expect((await rejection(wrong.send(new ListAssociationsCommand({})))).name).toBe("AccessDenied");
    expect(await listIds(right)).toHaveLength(2);

    server.sim.requireExternalId(arn, undefined);
    expect(await listIds(missing)).toHaveLength(2);
    for (const c of [missing, wrong, right]) c.destroy();
  });

  it("injected AssumeRole faults reach the credential provider and are counted under the caller", async () => {
    server.sim.mapAccessKey("AKIDFAULTY", STAGING);
    server.sim.injectFault({ kind: "ThrottlingException", count: 1, operation: "AssumeRole", accountId: STAGING });
    const ssm = ssmAs(assumedRole(role(PROD, "flaky"), { masterAccessKeyId: "AKIDFAULTY" }));

    expect((await rejection(ssm.send(new ListAssociationsCommand({})))).name).toBe("ThrottlingException");
    expect(await listIds(ssm)).toHaveLength(2);
    expect(server.sim.callCount("AssumeRole", { accountId: STAGING, region: "us-east-1" })).toBe(2);
    ssm.destroy();
  });
});

describe("AssumeRole validation", () => {
  it.each<[string, { RoleArn: string; RoleSessionName: string; DurationSeconds?: number; ExternalId?: string }, RegExp]>([
    ["a user ARN", { RoleArn: `arn:aws:iam::${PROD}:user/bob`, RoleSessionName: "ok-name" }, /'roleArn'.*IAM role ARN/],
    ["a short account", { RoleArn: "arn:aws:iam::1234:role/r", RoleSessionName: "ok-name" }, /'roleArn'/],
    ["a one-character session name", { RoleArn: role(PROD, "r"), RoleSessionName: "x" }, /'roleSessionName'/],
    ["a session name with a space", { RoleArn: role(PROD, "r"), RoleSessionName: "my session" }, /'roleSessionName'/],
    ["a too short duration", { RoleArn: role(PROD, "r"), RoleSessionName: "ok-name", DurationSeconds: 60 }, /'durationSeconds'/],
    ["a bad external id", { RoleArn: role(PROD, "r"), RoleSessionName: "ok-name", ExternalId: "has space" }, /'externalId'/],
  ])("answers 400 ValidationError for %s", async (_label, input, message) => {
    const sts = stsClient(server.url);
    const err = await rejection(sts.send(new AssumeRoleCommand(input)));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(["ValidationError", 400]);
    expect(err.message).toMatch(/^1 validation error detected: /);
    expect(err.message).toMatch(message);
    expect(server.sim.callCount("AssumeRole")).toBe(1);
    sts.destroy();
  });

  it("answers the documented XML to a raw query-protocol request", async () => {
    const before = Date.now();
    const res = await fetch(server.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDRAW/20250601/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00",
      },
      body: `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(role(PROD, "raw"))}&RoleSessionName=raw-session&DurationSeconds=900`,
    });
    const xml = await res.text();

    expect(res.status).toBe(200);
    const m =
      /^<AssumeRoleResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><AssumeRoleResult><AssumedRoleUser><Arn>arn:aws:sts::222222222222:assumed-role\/raw\/raw-session<\/Arn><AssumedRoleId>AROA[A-Z2-7]{17}:raw-session<\/AssumedRoleId><\/AssumedRoleUser><Credentials><AccessKeyId>(ASIA[A-Z2-7]{16})<\/AccessKeyId><SecretAccessKey>[^<]{40}<\/SecretAccessKey><SessionToken>[^<]{100,}<\/SessionToken><Expiration>(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)<\/Expiration><\/Credentials><\/AssumeRoleResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/AssumeRoleResponse>$/.exec(
        xml,
      );
    expect(m, xml).not.toBeNull();
    const expiresIn = Date.parse(m?.[2] ?? "") - before;
    // now + DurationSeconds, to the whole second
    expect(expiresIn).toBeGreaterThan(895_000);
    expect(expiresIn).toBeLessThanOrEqual(900_000 + (Date.now() - before));
    expect(server.sim.accountFor(m?.[1] ?? "")).toBe(PROD);
  });
});

describe("temporary credentials that expire or were never issued", () => {
  it("an expired key gets ExpiredTokenException from SSM and ExpiredToken from STS", async () => {
    const creds = await assumeOnce(role(PROD, "short-lived"));
    const ssm = ssmAs(creds);
    const sts = stsAs(creds);
    expect(await listIds(ssm)).toHaveLength(2);

    expect(server.sim.expireCredentials(creds.accessKeyId)).toBe(1);

    const ssmErr = await rejection(ssm.send(new ListAssociationsCommand({})));
    expect([ssmErr.name, ssmErr.$metadata?.httpStatusCode, ssmErr.message]).toEqual([
      "ExpiredTokenException",
      400,
      "The security token included in the request is expired",
    ]);
    expect((await rejection(sts.send(new GetCallerIdentityCommand({})))).name).toBe("ExpiredToken");
    // Rejected before the operation: only the successful call was counted.
    expect(server.sim.callCount("ListAssociations", { accountId: PROD, region: "us-east-1" })).toBe(1);
    expect(server.sim.issuedCredentials().find((c) => c.accessKeyId === creds.accessKeyId)?.expired).toBe(true);
    ssm.destroy();
    sts.destroy();
  });

  it("expires by the clock: credentialLifetimeSeconds overrides DurationSeconds", async () => {
    let now = Date.parse("2025-06-01T12:00:00Z");
    const local = await startSimulator({ defaultAccountId: DEFAULT_ACCOUNT, credentialLifetimeSeconds: 20, now: () => now });
    try {
      const sts = stsClient(local.url);
      const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: role(PROD, "r"), RoleSessionName: "s1", DurationSeconds: 3600 }));
      expect(Credentials?.Expiration).toEqual(new Date("2025-06-01T12:00:20Z"));
      const ssm = new SSMClient({
        region: "us-east-1",
        endpoint: local.url,
        maxAttempts: 1,
        // Without `expiration` the SDK never refreshes, so the simulator sees the stale key.
        credentials: { accessKeyId: Credentials?.AccessKeyId ?? "", secretAccessKey: "x", sessionToken: Credentials?.SessionToken ?? "" },
      });

      now += 19_999;
      await expect(ssm.send(new ListAssociationsCommand({}))).resolves.toBeDefined();
      now += 1;
      expect((await rejection(ssm.send(new ListAssociationsCommand({})))).name).toBe("ExpiredTokenException");
      sts.destroy();
      ssm.destroy();
    } finally {
      await local.close();
    }
  });

  it("unknown ASIA keys and wrong session tokens are unrecognized; other keys work as before", async () => {
    const creds = await assumeOnce(role(PROD, "token-check"));
    const unknown = ssmAs({ accessKeyId: "ASIANEVERISSUED0001", secretAccessKey: "x", sessionToken: "t" });
    const wrongToken = ssmAs({ ...creds, sessionToken: "not-the-token" });
    const noToken = ssmAs({ accessKeyId: creds.accessKeyId, secretAccessKey: "x" });
    const unknownSts = stsAs({ accessKeyId: "ASIANEVERISSUED0001", secretAccessKey: "x", sessionToken: "t" });

    for (const client of [unknown, wrongToken, noToken]) {
      const err = await rejection(client.send(new ListAssociationsCommand({})));
      expect([err.name, err.$metadata?.httpStatusCode, err.message]).toEqual([
        "UnrecognizedClientException",
        400,
        "The security token included in the request is invalid.",
      ]);
    }
    const stsErr = await rejection(unknownSts.send(new GetCallerIdentityCommand({})));
    expect([stsErr.name, stsErr.$metadata?.httpStatusCode]).toEqual(["InvalidClientTokenId", 403]);
    expect(server.sim.callCount("ListAssociations")).toBe(0);

    // An explicitly mapped ASIA key is known; AKIA-style keys keep their mapping or the default account.
    server.sim.mapAccessKey("ASIAMAPPEDBYTEST0001", STAGING);
    const mapped = ssmAs({ accessKeyId: "ASIAMAPPEDBYTEST0001", secretAccessKey: "x", sessionToken: "any" }, "eu-west-1");
    expect(await listIds(mapped)).toEqual([association(4).AssociationId]);
    expect(await listIds(ssmClient(server.url, "us-east-1", "AKIDANYTHING"))).toEqual([association(1).AssociationId]);
    for (const c of [unknown, wrongToken, noToken, mapped]) c.destroy();
    unknownSts.destroy();
  });
});

describe("SDK refresh of temporary credentials (fake Date: the SDK and the simulator share the clock)", () => {
  // The SDK (memoizeIdentityProvider in @smithy/core, used by every client for `credentials`)
  // re-fetches credentials whose expiration is less than 300 000 ms (5 minutes) away, and it resolves
  // the credentials twice per request (auth-scheme identity, then the SigV4 signer).

  it("lifetime > 5 minutes: one AssumeRole, then exactly one refresh once the 5-minute window is reached", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Math.ceil(Date.now() / 1000) * 1000;
    vi.setSystemTime(start);
    server.sim.setCredentialLifetime(900);
    const ssm = ssmAs(assumedRole(role(PROD, "refresh-once")));

    await listIds(ssm);
    await listIds(ssm);
    expect(server.sim.callCount("AssumeRole")).toBe(1);

    vi.setSystemTime(start + (900 - 300) * 1000 - 1_000); // 301 s before expiry: still cached
    await listIds(ssm);
    expect(server.sim.callCount("AssumeRole")).toBe(1);

    vi.setSystemTime(start + 900_000 + 1_000); // past Expiration: the SDK refreshes before signing
    await listIds(ssm);
    await listIds(ssm);
    expect(server.sim.callCount("AssumeRole")).toBe(2);
    const issued = server.sim.issuedCredentials().filter((c) => c.roleArn === role(PROD, "refresh-once"));
    expect(issued.map((c) => c.expired)).toEqual([true, false]);
    expect(server.sim.callCount("ListAssociations", { accountId: PROD, region: "us-east-1" })).toBe(5);
    ssm.destroy();
  });

  it("lifetime ≤ 5 minutes (e.g. 20 s): the SDK assumes the role again on every request", async () => {
    server.sim.setCredentialLifetime(20);
    const ssm = ssmAs(assumedRole(role(PROD, "refresh-always")));

    await listIds(ssm);
    // 1 initial fetch + 1 immediate refresh (already inside the window) + 1 for the signer.
    expect(server.sim.callCount("AssumeRole")).toBe(3);
    await listIds(ssm);
    expect(server.sim.callCount("AssumeRole")).toBe(5);
    ssm.destroy();
  });
});

describe("control API for roles and credentials", () => {
  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: await res.json() };
  }

  it("denies, allows and requires external ids", async () => {
    const arn = role(STAGING, "ctl");
    expect(await call("POST", "/_sim/roles/deny", { roleArn: arn })).toEqual({ status: 200, json: { roleArn: arn, denied: true } });
    expect(await call("POST", "/_sim/roles/external-id", { roleArn: arn, externalId: "xid-1" })).toEqual({
      status: 200,
      json: { roleArn: arn, denied: true, externalId: "xid-1" },
    });
    expect((await call("GET", "/_sim/roles")).json).toContainEqual({ roleArn: arn, denied: true, externalId: "xid-1" });

    const ssm = ssmAs(assumedRole(arn, { externalId: "xid-1" }), "eu-west-1");
    expect((await rejection(ssm.send(new ListAssociationsCommand({})))).name).toBe("AccessDenied");
    expect(await call("POST", "/_sim/roles/allow", { roleArn: arn })).toEqual({
      status: 200,
      json: { roleArn: arn, denied: false, externalId: "xid-1" },
    });
    expect(await listIds(ssm)).toEqual([association(4).AssociationId]);

    expect(await call("POST", "/_sim/roles/external-id", { roleArn: arn, externalId: null })).toEqual({
      status: 200,
      json: { roleArn: arn, denied: false },
    });
    expect((await call("GET", "/_sim/roles")).json).not.toContainEqual(expect.objectContaining({ roleArn: arn }));
    ssm.destroy();
  });

  it("sets the credential lifetime, lists issued credentials and expires them", async () => {
    expect(await call("PUT", "/_sim/credential-lifetime", { seconds: 42 })).toEqual({ status: 200, json: { seconds: 42 } });
    expect(await call("GET", "/_sim/credential-lifetime")).toEqual({ status: 200, json: { seconds: 42 } });
    const creds = await assumeOnce(role(PROD, "listed"));
    const listed = (await call("GET", "/_sim/credentials")).json as { accessKeyId: string; expiration: string; expired: boolean }[];
    const mine = listed.find((c) => c.accessKeyId === creds.accessKeyId);
    expect(mine).toMatchObject({ accountId: PROD, roleArn: role(PROD, "listed"), sessionName: "static", expired: false });
    expect(Date.parse(mine?.expiration ?? "") - Date.now()).toBeLessThanOrEqual(42_000);

    expect(await call("POST", "/_sim/credentials/expire", { accessKeyId: creds.accessKeyId })).toEqual({ status: 200, json: { expired: 1 } });
    expect((await call("POST", "/_sim/credentials/expire")).json).toEqual({ expired: expect.any(Number) });
    expect(server.sim.issuedCredentials().every((c) => c.expired)).toBe(true);
    expect(await call("PUT", "/_sim/credential-lifetime", { seconds: null })).toEqual({ status: 200, json: { seconds: null } });
    expect(server.sim.credentialLifetimeSeconds).toBeUndefined();
  });

  it.each<[string, string, unknown, RegExp]>([
    ["POST", "/_sim/roles/deny", { roleArn: "arn:aws:iam::222222222222:user/bob" }, /not an IAM role ARN/],
    ["POST", "/_sim/roles/deny", {}, /roleArn/],
    ["POST", "/_sim/roles/external-id", { roleArn: role(PROD, "r"), externalId: "a b" }, /external id/],
    ["PUT", "/_sim/credential-lifetime", { seconds: 1.5 }, /seconds/],
    ["PUT", "/_sim/credential-lifetime", { seconds: 0 }, /seconds/],
    ["POST", "/_sim/credentials/expire", { accessKeyId: 5 }, /accessKeyId/],
  ])("rejects %s %s with 400", async (method, path, body, message) => {
    const { status, json } = await call(method, path, body);
    expect(status).toBe(400);
    expect((json as { error: string }).error).toMatch(message);
  });
});
