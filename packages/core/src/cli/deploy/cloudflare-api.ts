import { CaptunError } from "../../errors.ts";

/** A Cloudflare API call failed; the message carries Cloudflare's own error text. */
export class CloudflareApiError extends CaptunError {
  override name = "CaptunCloudflareApiError";
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
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
  proxied?: boolean;
}

/** The few Cloudflare API calls deploy makes itself (wrangler does the Worker upload and routes). */
export interface CloudflareApi {
  accounts(): Promise<{ id: string; name: string }[]>;
  zones(): Promise<Zone[]>;
  zoneByName(name: string): Promise<Zone | undefined>;
  workersSubdomain(accountId: string): Promise<string | undefined>;
  /** How many Advanced Certificate Manager packs the zone may have; 0 means ACM is not enabled. */
  advancedCertificateQuota(zoneId: string): Promise<number>;
  certificatePacks(zoneId: string): Promise<CertificatePack[]>;
  orderAdvancedCertificatePack(zoneId: string, hosts: string[]): Promise<CertificatePack>;
  certificatePack(zoneId: string, packId: string): Promise<CertificatePack>;
  dnsRecords(zoneId: string, name: string): Promise<DnsRecord[]>;
  createProxiedDnsRecord(zoneId: string, name: string): Promise<DnsRecord>;
}

/** The API base URL; `CLOUDFLARE_API_BASE_URL` overrides it, as it does for wrangler. */
export function cloudflareApiBaseUrl(env: NodeJS.ProcessEnv): string {
  return (env.CLOUDFLARE_API_BASE_URL || "https://api.cloudflare.com/client/v4").replace(/\/$/, "");
}

export function createCloudflareApi(token: string, env: NodeJS.ProcessEnv = process.env): CloudflareApi {
  const base = cloudflareApiBaseUrl(env);
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const envelope = (await response.json().catch(() => ({}))) as { success?: boolean; result?: T; errors?: { message: string }[] };
    if (!response.ok || envelope.success === false) {
      const detail = envelope.errors?.map((error) => error.message).join("; ") || response.statusText;
      const hint =
        response.status === 403 || response.status === 401
          ? " The API token needs Workers Scripts:Edit, Workers Routes:Edit, Zone:Read, DNS:Edit and SSL and Certificates:Edit."
          : "";
      throw new CloudflareApiError(`Cloudflare API ${method} ${path} failed (${response.status}): ${detail}.${hint}`, response.status);
    }
    return envelope.result as T;
  }
  const zone = (id: string) => `/zones/${encodeURIComponent(id)}`;
  return {
    accounts: () => call("GET", "/accounts?per_page=50"),
    zones: () => call("GET", "/zones?per_page=50&status=active"),
    async zoneByName(name) {
      const zones = await call<Zone[]>("GET", `/zones?name=${encodeURIComponent(name)}`);
      return zones[0];
    },
    async workersSubdomain(accountId) {
      try {
        const result = await call<{ subdomain?: string }>("GET", `/accounts/${encodeURIComponent(accountId)}/workers/subdomain`);
        return result.subdomain || undefined;
      } catch (error) {
        if (error instanceof CloudflareApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    async advancedCertificateQuota(zoneId) {
      const quota = await call<{ advanced?: { allocated?: number } }>("GET", `${zone(zoneId)}/ssl/certificate_packs/quota`);
      return quota.advanced?.allocated ?? 0;
    },
    certificatePacks: (zoneId) => call("GET", `${zone(zoneId)}/ssl/certificate_packs?status=all`),
    orderAdvancedCertificatePack: (zoneId, hosts) =>
      call("POST", `${zone(zoneId)}/ssl/certificate_packs/order`, {
        type: "advanced",
        hosts,
        validation_method: "txt",
        validity_days: 90,
        certificate_authority: "lets_encrypt",
        cloudflare_branding: false,
      }),
    certificatePack: (zoneId, packId) => call("GET", `${zone(zoneId)}/ssl/certificate_packs/${encodeURIComponent(packId)}`),
    dnsRecords: (zoneId, name) => call("GET", `${zone(zoneId)}/dns_records?name=${encodeURIComponent(name)}`),
    // A proxied AAAA record to the discard prefix: the route answers, the address is never used.
    createProxiedDnsRecord: (zoneId, name) =>
      call("POST", `${zone(zoneId)}/dns_records`, { type: "AAAA", name, content: "100::", proxied: true, comment: "captun tunnels" }),
  };
}
