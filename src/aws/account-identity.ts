/** How a source learns its account id; shared by every region of one credential set. */
export interface AccountIdentity {
  /** The operation behind accountId(): GetCallerIdentity, AssumeRole, or none when configured. */
  readonly operation: string;
  readonly knownAccountId: string | undefined;
  accountId(signal: AbortSignal): Promise<string>;
}
