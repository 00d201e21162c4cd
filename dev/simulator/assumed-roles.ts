import { createHash, randomBytes } from "node:crypto";
import { SimAwsError } from "./errors.js";

/**
 * STS AssumeRole state: which roles may be assumed (and with which ExternalId), the temporary
 * credentials handed out, and who signed a request. No HTTP and no XML here.
 */

/** AssumeRole parameters as they come off the wire (query protocol: all strings, all optional). */
export interface AssumeRoleParams {
  RoleArn?: string | undefined;
  RoleSessionName?: string | undefined;
  ExternalId?: string | undefined;
  DurationSeconds?: string | undefined;
}

/** Temporary credentials issued by AssumeRole, and the session they belong to. */
export interface IssuedCredentials {
  /** "ASIA" + 16 characters, like AWS. */
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch milliseconds, whole seconds (AWS sends Expiration without fractions). */
  expiration: number;
  /** The account in the role ARN: requests signed with these credentials read this account's data. */
  accountId: string;
  roleArn: string;
  roleName: string;
  sessionName: string;
  /** `AROA…:<session name>` */
  assumedRoleId: string;
  /** `arn:aws:sts::<account>:assumed-role/<role name>/<session name>` */
  assumedRoleArn: string;
}

export interface IssuedCredentialsInfo extends IssuedCredentials {
  /** Expiration has passed (by the simulator's clock). */
  expired: boolean;
}

/** Who signed a request, as GetCallerIdentity reports it. */
export interface Caller {
  accountId: string;
  arn: string;
  userId: string;
}

export type CallerResolution = { ok: true; caller: Caller } | { ok: false; reason: "expired" | "invalid" };

export interface RolePolicy {
  roleArn: string;
  denied: boolean;
  /** The ExternalId AssumeRole must carry; undefined = none required. */
  externalId?: string;
}

export interface ParsedRoleArn {
  partition: string;
  accountId: string;
  roleName: string;
}

/** Default Expiration when the request has no DurationSeconds, as in AWS. */
export const DEFAULT_DURATION_SECONDS = 3600;
export const MIN_DURATION_SECONDS = 900;
export const MAX_DURATION_SECONDS = 43_200;
/** Issued credentials kept (oldest forgotten first), so a long demo with short lifetimes stays bounded. */
const MAX_SESSIONS = 10_000;

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** `arn:aws:iam::<12 digits>:role/[path/]<name>`, else undefined. */
export function parseRoleArn(roleArn: string): ParsedRoleArn | undefined {
  const m = ROLE_ARN.exec(roleArn);
  if (m === null) return undefined;
  const [, partition, accountId, roleName] = m as unknown as [string, string, string, string];
  return { partition, accountId, roleName };
}

/** Like parseRoleArn, for the in-process API: throws TypeError on anything but a role ARN. */
export function assertRoleArn(roleArn: string): ParsedRoleArn {
  const parsed = typeof roleArn === "string" ? parseRoleArn(roleArn) : undefined;
  if (parsed === undefined) {
    throw new TypeError(`not an IAM role ARN: ${JSON.stringify(roleArn)}; expected arn:aws:iam::<12 digits>:role/<name>`);
  }
  return parsed;
}

/** `[A-Z2-7]` characters derived from a string, for stable AWS-looking unique ids. */
export function stableId(prefix: string, seed: string, length = 17): string {
  const digest = createHash("sha256").update(seed).digest();
  let id = prefix;
  for (let i = 0; i < length; i++) id += BASE32[(digest[i] ?? 0) % 32];
  return id;
}

function randomId(prefix: string, length: number): string {
  const bytes = randomBytes(length);
  let id = prefix;
  for (const b of bytes) id += BASE32[b % 32];
  return id;
}

/** AWS-style validation text with the STS code: "N validation error(s) detected: a; b". */
function stsValidationError(problems: readonly string[]): SimAwsError {
  const n = problems.length;
  return new SimAwsError("ValidationError", 400, `${n} validation error${n === 1 ? "" : "s"} detected: ${problems.join("; ")}`);
}

function quoted(value: string | undefined): string {
  return value === undefined ? "null" : `'${value}'`;
}

interface ValidRequest {
  role: ParsedRoleArn;
  roleArn: string;
  sessionName: string;
  externalId: string | undefined;
  durationSeconds: number;
}

function validate(params: AssumeRoleParams): ValidRequest {
  const problems: string[] = [];
  const { RoleArn: roleArn, RoleSessionName: sessionName, ExternalId: externalId, DurationSeconds: duration } = params;
  const role = roleArn === undefined ? undefined : parseRoleArn(roleArn);
  if (roleArn === undefined) problems.push("Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
  else if (role === undefined) {
    problems.push(`Value ${quoted(roleArn)} at 'roleArn' failed to satisfy constraint: Member must be an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)`);
  }
  if (sessionName === undefined) {
    problems.push("Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null");
  } else if (!SESSION_NAME.test(sessionName)) {
    problems.push(
      `Value ${quoted(sessionName)} at 'roleSessionName' failed to satisfy constraint: ` +
        "Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64",
    );
  }
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
    problems.push(
      `Value ${quoted(externalId)} at 'externalId' failed to satisfy constraint: ` +
        "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]* and have length between 2 and 1224",
    );
  }
  let durationSeconds = DEFAULT_DURATION_SECONDS;
  if (duration !== undefined) {
    durationSeconds = /^\d{1,9}$/.test(duration) ? Number(duration) : Number.NaN;
    if (!(durationSeconds >= MIN_DURATION_SECONDS && durationSeconds <= MAX_DURATION_SECONDS)) {
      problems.push(
        `Value ${quoted(duration)} at 'durationSeconds' failed to satisfy constraint: ` +
          `Member must be an integer between ${MIN_DURATION_SECONDS} and ${MAX_DURATION_SECONDS}`,
      );
    }
  }
  if (problems.length > 0 || role === undefined || roleArn === undefined || sessionName === undefined) {
    throw stsValidationError(problems);
  }
  return { role, roleArn, sessionName, externalId, durationSeconds };
}

export interface AssumedRoleStoreOptions {
  now: () => number;
  /** Overrides every Expiration: now + this many seconds, whatever DurationSeconds asked for. */
  credentialLifetimeSeconds?: number | undefined;
}

export class AssumedRoleStore {
  private readonly now: () => number;
  private lifetimeSeconds: number | undefined;
  private readonly policies = new Map<string, RolePolicy>();
  /** Insertion order = issue order, for dropping the oldest. */
  private readonly sessions = new Map<string, IssuedCredentials>();

  constructor(options: AssumedRoleStoreOptions) {
    this.now = options.now;
    this.setCredentialLifetime(options.credentialLifetimeSeconds);
  }

  get credentialLifetimeSeconds(): number | undefined {
    return this.lifetimeSeconds;
  }

  setCredentialLifetime(seconds: number | undefined): void {
    if (seconds !== undefined && !(Number.isInteger(seconds) && seconds > 0)) {
      throw new RangeError(`credential lifetime must be a positive whole number of seconds, got ${seconds}`);
    }
    this.lifetimeSeconds = seconds;
  }

  denyAssumeRole(roleArn: string): void {
    this.policy(roleArn).denied = true;
  }

  allowAssumeRole(roleArn: string): void {
    this.policy(roleArn).denied = false;
    this.prune(roleArn);
  }

  requireExternalId(roleArn: string, externalId: string | undefined): void {
    if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
      throw new TypeError(`external id must match [\\w+=,.@:/-]{2,1224}, got ${JSON.stringify(externalId)}`);
    }
    const policy = this.policy(roleArn);
    if (externalId === undefined) delete policy.externalId;
    else policy.externalId = externalId;
    this.prune(roleArn);
  }

  rolePolicies(): RolePolicy[] {
    return [...this.policies.values()].map((p) => ({ ...p }));
  }

  /**
   * Validates the request like STS, applies the role policy, issues fresh credentials. Throws
   * SimAwsError: 400 ValidationError, 403 AccessDenied (denied role, wrong or missing ExternalId).
   */
  assumeRole(params: AssumeRoleParams, caller: Caller): IssuedCredentials {
    const request = validate(params);
    const policy = this.policies.get(request.roleArn);
    if (policy !== undefined && (policy.denied || (policy.externalId !== undefined && policy.externalId !== request.externalId))) {
      throw new SimAwsError(
        "AccessDenied",
        403,
        `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${request.roleArn}`,
      );
    }
    const { partition, accountId, roleName } = request.role;
    const lifetimeSeconds = this.lifetimeSeconds ?? request.durationSeconds;
    const issued: IssuedCredentials = {
      accessKeyId: this.freshAccessKeyId(),
      secretAccessKey: randomBytes(30).toString("base64"),
      sessionToken: `SIMSESSION/${randomBytes(96).toString("base64")}`,
      expiration: Math.floor((this.now() + lifetimeSeconds * 1000) / 1000) * 1000,
      accountId,
      roleArn: request.roleArn,
      roleName,
      sessionName: request.sessionName,
      assumedRoleId: `${stableId("AROA", request.roleArn)}:${request.sessionName}`,
      assumedRoleArn: `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${request.sessionName}`,
    };
    this.sessions.set(issued.accessKeyId, issued);
    if (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    return { ...issued };
  }

  /** Issued credentials by access key id (expired ones included), or undefined. */
  session(accessKeyId: string): IssuedCredentials | undefined {
    const s = this.sessions.get(accessKeyId);
    return s === undefined ? undefined : { ...s };
  }

  issued(): IssuedCredentialsInfo[] {
    const now = this.now();
    return [...this.sessions.values()].map((s) => ({ ...s, expired: now >= s.expiration }));
  }

  /**
   * Makes issued credentials expire now (one access key, or all of them). The SDK does not know, so
   * its next request with them gets ExpiredTokenException. Returns how many were still valid.
   */
  expire(accessKeyId?: string): number {
    const now = this.now();
    let n = 0;
    for (const s of this.sessions.values()) {
      if ((accessKeyId === undefined || s.accessKeyId === accessKeyId) && s.expiration > now) {
        s.expiration = now;
        n++;
      }
    }
    return n;
  }

  /**
   * The caller behind an issued access key: undefined when the key was never issued here; "invalid"
   * when the session token does not belong to it; "expired" once its Expiration has passed.
   */
  resolve(accessKeyId: string, sessionToken: string | undefined): CallerResolution | undefined {
    const s = this.sessions.get(accessKeyId);
    if (s === undefined) return undefined;
    if (sessionToken !== s.sessionToken) return { ok: false, reason: "invalid" };
    if (this.now() >= s.expiration) return { ok: false, reason: "expired" };
    return { ok: true, caller: { accountId: s.accountId, arn: s.assumedRoleArn, userId: s.assumedRoleId } };
  }

  private policy(roleArn: string): RolePolicy {
    assertRoleArn(roleArn);
    let p = this.policies.get(roleArn);
    if (p === undefined) {
      p = { roleArn, denied: false };
      this.policies.set(roleArn, p);
    }
    return p;
  }

  /** A policy that no longer changes anything is forgotten. */
  private prune(roleArn: string): void {
    const p = this.policies.get(roleArn);
    if (p !== undefined && !p.denied && p.externalId === undefined) this.policies.delete(roleArn);
  }

  private freshAccessKeyId(): string {
    let id: string;
    do id = randomId("ASIA", 16);
    while (this.sessions.has(id));
    return id;
  }
}
