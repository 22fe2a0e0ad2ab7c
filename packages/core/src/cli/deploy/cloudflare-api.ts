import { CaptunError } from "../../errors.ts";

/** A Cloudflare API call failed; the message carries Cloudflare's own error text and code. */
export class CaptunCloudflareApiError extends CaptunError {
  override name = "CaptunCloudflareApiError";
  readonly status: number;
  /** Cloudflare's error codes from the response envelope, e.g. 10000 (missing permission). */
  readonly codes: number[];
  readonly call: string;
  constructor(message: string, call: string, status: number, codes: number[]) {
    super(message);
    this.call = call;
    this.status = status;
    this.codes = codes;
  }
}

/** The error codes deploy reacts to (from the API's answers; the schema documents only the envelope). */
export const CODES = {
  /** Authentication error: the credentials lack the permission (HTTP 403). */
  forbidden: 10000,
  /** Workers "not found": no such Worker, or no workers.dev subdomain registered. */
  workersNotFound: 10007,
  /** The zone has no Advanced Certificate Manager subscription. */
  acmNotEnabled: 1450,
} as const;

/** How deploy authenticates: an API token (env or `wrangler login`) or the Global API Key. */
export type Credentials = { kind: "token"; token: string; source: "env" | "wrangler-login" } | { kind: "key"; key: string; email: string };

export interface Account {
  id: string;
  name: string;
}

export interface Zone {
  id: string;
  name: string;
  status: string;
  account: { id: string; name?: string };
}

export interface CertificatePack {
  id: string;
  status: string;
  hosts: string[];
  type?: string;
}

export interface DnsRecord {
  id: string;
  name: string;
  type: string;
  content: string;
  proxied: boolean;
  comment?: string | null;
}

export interface WorkerRoute {
  id: string;
  pattern: string;
  script?: string;
}

/** Marks the DNS records captun creates, so undeploy can tell them from the user's own. */
export const DNS_COMMENT = "captun tunnels (created by captun deploy)";

/** The API base URL; `CLOUDFLARE_API_BASE_URL` overrides it, as it does for wrangler. */
export function cloudflareApiBaseUrl(env: NodeJS.ProcessEnv): string {
  return (env.CLOUDFLARE_API_BASE_URL || "https://api.cloudflare.com/client/v4").replace(/\/$/, "");
}

export type CloudflareApi = ReturnType<typeof createCloudflareApi>;

/** The Cloudflare API calls deploy and undeploy make themselves (wrangler uploads the Worker and its routes). */
export function createCloudflareApi(credentials: Credentials, env: NodeJS.ProcessEnv = process.env) {
  const base = cloudflareApiBaseUrl(env);
  const auth: Record<string, string> =
    credentials.kind === "token"
      ? { authorization: `Bearer ${credentials.token}` }
      : { "x-auth-key": credentials.key, "x-auth-email": credentials.email };

  async function request<T>(method: string, path: string, body?: unknown): Promise<{ result: T; info?: { total_pages?: number } }> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const envelope = (await response.json().catch(() => ({}))) as {
      success?: boolean;
      result?: T;
      result_info?: { total_pages?: number };
      errors?: { code?: number; message: string }[];
    };
    if (!response.ok || envelope.success === false) {
      const errors = envelope.errors ?? [];
      const detail = errors.map((error) => `${error.message}${error.code ? ` (${error.code})` : ""}`).join("; ") || response.statusText;
      const call = `${method} ${path.split("?")[0]}`;
      throw new CaptunCloudflareApiError(
        `Cloudflare API ${call} failed (${response.status}): ${detail}`,
        call,
        response.status,
        errors.flatMap((error) => (error.code === undefined ? [] : [error.code])),
      );
    }
    return { result: envelope.result as T, info: envelope.result_info };
  }
  const call = async <T>(method: string, path: string, body?: unknown) => (await request<T>(method, path, body)).result;

  /** Reads every page of a paginated list (`page`, `per_page`, `result_info.total_pages`). */
  async function all<T>(path: string, query: Record<string, string> = {}): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; page <= 10_000; page++) {
      const search = new URLSearchParams({ ...query, page: String(page) });
      const { result, info } = await request<T[]>("GET", `${path}?${search}`);
      items.push(...result);
      if (result.length === 0 || page >= (info?.total_pages ?? 1)) break;
    }
    return items;
  }

  const zone = (id: string) => `/zones/${encodeURIComponent(id)}`;
  const account = (id: string) => `/accounts/${encodeURIComponent(id)}`;
  const notFound = (error: unknown) => error instanceof CaptunCloudflareApiError && error.codes.includes(CODES.workersNotFound);

  return {
    credentials,
    /** Token status (`active`, `disabled`, `expired`); API tokens only. */
    verifyToken: () => call<{ id: string; status: string }>("GET", "/user/tokens/verify"),
    user: () => call<{ id: string; email?: string }>("GET", "/user"),
    accounts: () => all<Account>("/accounts", { per_page: "50" }),
    /** Active zones of one account (zones-get filtered by `account.id`). */
    zones: (accountId: string) => all<Zone>("/zones", { per_page: "50", status: "active", "account.id": accountId }),
    async zoneByName(name: string, accountId: string): Promise<Zone | undefined> {
      return (await all<Zone>("/zones", { name, "account.id": accountId, per_page: "50" }))[0];
    },
    /** The account's workers.dev subdomain, or `undefined` when it has none yet (code 10007). */
    async workersSubdomain(accountId: string): Promise<string | undefined> {
      try {
        return (await call<{ subdomain?: string }>("GET", `${account(accountId)}/workers/subdomain`)).subdomain || undefined;
      } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
      }
    },
    /** The live Worker's bindings, or `undefined` when no Worker has that name. */
    async workerBindings(accountId: string, name: string): Promise<{ name: string; type: string; class_name?: string }[] | undefined> {
      try {
        const settings = await call<{ bindings?: { name: string; type: string; class_name?: string }[] }>(
          "GET",
          `${account(accountId)}/workers/scripts/${encodeURIComponent(name)}/settings`,
        );
        return settings.bindings ?? [];
      } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
      }
    },
    async workersDevEnabled(accountId: string, name: string): Promise<boolean> {
      const result = await call<{ enabled: boolean }>("GET", `${account(accountId)}/workers/scripts/${encodeURIComponent(name)}/subdomain`);
      return result.enabled;
    },
    /** Deletes the Worker; `false` when it was already gone. */
    async deleteWorker(accountId: string, name: string): Promise<boolean> {
      try {
        await call("DELETE", `${account(accountId)}/workers/scripts/${encodeURIComponent(name)}?force=true`);
        return true;
      } catch (error) {
        if (notFound(error)) return false;
        throw error;
      }
    },
    workerRoutes: (zoneId: string) => call<WorkerRoute[]>("GET", `${zone(zoneId)}/workers/routes`),
    deleteWorkerRoute: (zoneId: string, routeId: string) => call("DELETE", `${zone(zoneId)}/workers/routes/${encodeURIComponent(routeId)}`),
    /** How many Advanced Certificate Manager packs the zone may have; 0 means ACM is not enabled. */
    async advancedCertificateQuota(zoneId: string): Promise<number> {
      const quota = await call<{ advanced?: { allocated?: number } }>("GET", `${zone(zoneId)}/ssl/certificate_packs/quota`);
      return quota.advanced?.allocated ?? 0;
    },
    certificatePacks: (zoneId: string) => all<CertificatePack>(`${zone(zoneId)}/ssl/certificate_packs`, { status: "all" }),
    /** The five fields the order operation requires; `hosts` must include the zone apex. */
    orderAdvancedCertificatePack: (zoneId: string, hosts: string[]) =>
      call<CertificatePack>("POST", `${zone(zoneId)}/ssl/certificate_packs/order`, {
        type: "advanced",
        hosts,
        validation_method: "txt",
        validity_days: 90,
        certificate_authority: "lets_encrypt",
        cloudflare_branding: false,
      }),
    certificatePack: (zoneId: string, packId: string) =>
      call<CertificatePack>("GET", `${zone(zoneId)}/ssl/certificate_packs/${encodeURIComponent(packId)}`),
    deleteCertificatePack: (zoneId: string, packId: string) =>
      call("DELETE", `${zone(zoneId)}/ssl/certificate_packs/${encodeURIComponent(packId)}`),
    dnsRecords: (zoneId: string, name: string) => all<DnsRecord>(`${zone(zoneId)}/dns_records`, { name, per_page: "100" }),
    async dnsRecord(zoneId: string, recordId: string): Promise<DnsRecord | undefined> {
      try {
        return await call<DnsRecord>("GET", `${zone(zoneId)}/dns_records/${encodeURIComponent(recordId)}`);
      } catch (error) {
        if (error instanceof CaptunCloudflareApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    // A proxied AAAA record to the discard prefix: the route answers, the address is never used.
    createProxiedDnsRecord: (zoneId: string, name: string) =>
      call<DnsRecord>("POST", `${zone(zoneId)}/dns_records`, {
        type: "AAAA",
        name,
        content: "100::",
        ttl: 1,
        proxied: true,
        comment: DNS_COMMENT,
      }),
    setDnsRecordProxied: (zoneId: string, recordId: string, proxied: boolean) =>
      call<DnsRecord>("PATCH", `${zone(zoneId)}/dns_records/${encodeURIComponent(recordId)}`, { proxied }),
    deleteDnsRecord: (zoneId: string, recordId: string) => call("DELETE", `${zone(zoneId)}/dns_records/${encodeURIComponent(recordId)}`),
  };
}
