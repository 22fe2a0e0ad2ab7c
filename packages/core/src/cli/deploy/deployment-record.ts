import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

/**
 * What `captun deploy` put on Cloudflare, saved in the captun config so `captun undeploy` removes
 * exactly that and a redeploy can tell that nothing changed.
 */
export interface DeploymentRecord {
  accountId: string;
  workerName: string;
  serverUrl: string;
  /** sha256 of the Worker bundle, its wrangler config and its secret: equal means nothing to upload. */
  fingerprint: string;
  /** Zone routes only. */
  zone?: { id: string; name: string; route: string };
  /** Resources deploy made; anything it found already there is not listed and never removed. */
  created: {
    /** Wildcard DNS records deploy added. */
    dnsRecordIds?: string[];
    /** The user's DNS-only records deploy switched to proxied (undeploy switches them back). */
    proxiedDnsRecordIds?: string[];
    /** The ACM pack deploy ordered. */
    certificatePackId?: string;
  };
}

/** Fingerprint of one Worker version: bundle bytes, the wrangler config without paths, the secret. */
export async function fingerprint(bundlePath: string, config: Record<string, unknown>, secret: string): Promise<string> {
  const hash = createHash("sha256");
  hash.update(await readFile(bundlePath));
  hash.update(JSON.stringify({ ...config, main: undefined }));
  hash.update(secret);
  return `sha256:${hash.digest("hex")}`;
}
