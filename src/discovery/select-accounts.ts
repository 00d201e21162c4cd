import type { OrganizationConfig } from "../config/config.js";
import type { OrganizationAccount } from "../aws/organization-accounts.js";

/** An account discovery polls: its id and name (the name goes on aws_ssm_account_info only). */
export interface DiscoveredAccount {
  readonly id: string;
  readonly name: string;
}

/**
 * The accounts to poll, ordered by id: ACTIVE ones only (Status ACTIVE and, when AWS sends it, State
 * ACTIVE: suspended, closing, closed and not yet activated accounts cannot be polled), in
 * include_accounts when given, never in exclude_accounts.
 */
export function selectAccounts(accounts: readonly OrganizationAccount[], organization: Pick<OrganizationConfig, "includeAccounts" | "excludeAccounts">): DiscoveredAccount[] {
  const include = organization.includeAccounts === undefined ? undefined : new Set(organization.includeAccounts);
  const exclude = new Set(organization.excludeAccounts);
  const byId = new Map<string, DiscoveredAccount>();
  for (const a of accounts) {
    if (a.status !== "ACTIVE" || (a.state !== undefined && a.state !== "ACTIVE")) continue;
    if ((include !== undefined && !include.has(a.id)) || exclude.has(a.id)) continue;
    byId.set(a.id, { id: a.id, name: a.name });
  }
  return [...byId.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}
