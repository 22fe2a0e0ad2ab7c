import { CaptunUsageError } from "../args.ts";
import type { Account, CertificatePack, CloudflareApi, DnsRecord, WorkerRoute, Zone } from "./cloudflare-api.ts";
import { missingPermissionsError, type Permission, probe } from "./credentials.ts";
import { needsAdvancedCertificate, type RoutingPlan } from "./routing-plan.ts";

/** What the account holds that the deploy plan depends on; read-only, taken before any change. */
export interface AccountSnapshot {
  accountId: string;
  /** The account's workers.dev subdomain; `undefined` when it has none. */
  workersSubdomain: string | undefined;
  /** The existing Worker's bindings; `undefined` when there is no Worker of that name. */
  workerBindings: { name: string; type: string; class_name?: string }[] | undefined;
  /** Whether the existing Worker answers on workers.dev. */
  workersDevEnabled: boolean;
  zone?: Zone;
  routes?: WorkerRoute[];
  /** Records at `*.<hostname>`. */
  wildcardRecords?: DnsRecord[];
  acmQuota?: number;
  certificatePacks?: CertificatePack[];
}

/**
 * Reads, without changing anything, every resource the routing option
 * touches. Each read doubles as a permission check: a 403 is collected, and if any read was
 * refused the user is told which API token to create before anything was changed.
 */
export async function inspectAccount(
  api: CloudflareApi,
  plan: RoutingPlan,
  workerName: string,
  accountId: string,
  commandLine: string,
): Promise<AccountSnapshot> {
  const refused: { call: string; permission: Permission }[] = [];
  const stop = () => missingPermissionsError(plan, api.credentials, refused, commandLine);
  const scripts: Permission = "Account · Workers Scripts · Edit";
  const workersSubdomain = await probe(refused, scripts, () => api.workersSubdomain(accountId));
  const workerBindings = await probe(refused, scripts, () => api.workerBindings(accountId, workerName));
  const workersDevEnabled =
    workerBindings !== undefined && plan.kind === "workers-dev"
      ? ((await probe(refused, scripts, () => api.workersDevEnabled(accountId, workerName))) ?? false)
      : false;
  const snapshot: AccountSnapshot = { accountId, workersSubdomain, workerBindings, workersDevEnabled };
  if (plan.kind === "workers-dev") {
    if (refused.length > 0) throw stop();
    return snapshot;
  }

  const zone = await probe(refused, "Zone · Zone · Read", () => api.zoneByName(plan.zone, accountId));
  if (refused.length > 0) throw stop();
  if (!zone) {
    throw new CaptunUsageError(
      `The zone ${plan.zone} is not an active zone of account ${accountId}. Add it in the dashboard first, or pick another --zone.`,
    );
  }
  snapshot.zone = zone;
  snapshot.routes = await probe(refused, "Zone · Workers Routes · Edit", () => api.workerRoutes(zone.id));
  snapshot.wildcardRecords = await probe(refused, "Zone · DNS · Edit", () => api.dnsRecords(zone.id, `*.${plan.hostname}`));
  if (needsAdvancedCertificate(plan)) {
    const ssl: Permission = "Zone · SSL and Certificates · Edit";
    snapshot.acmQuota = await probe(refused, ssl, () => api.advancedCertificateQuota(zone.id));
    snapshot.certificatePacks = await probe(refused, ssl, () => api.certificatePacks(zone.id));
  }
  if (refused.length > 0) throw stop();
  return snapshot;
}

/** The account to deploy to: `CLOUDFLARE_ACCOUNT_ID`, else the only one the credentials reach. */
export async function pickAccount(api: CloudflareApi, env: NodeJS.ProcessEnv): Promise<string> {
  if (env.CLOUDFLARE_ACCOUNT_ID) return env.CLOUDFLARE_ACCOUNT_ID;
  const accounts: Account[] = await api.accounts();
  if (accounts.length === 1) return accounts[0]!.id;
  if (accounts.length === 0)
    throw new CaptunUsageError("These Cloudflare credentials can see no account. Check the token's account resources.");
  const list = accounts.map((account) => `  ${account.id}  ${account.name}`).join("\n");
  throw new CaptunUsageError(`These credentials can use ${accounts.length} accounts; pick one with CLOUDFLARE_ACCOUNT_ID=<id>:\n${list}`);
}
