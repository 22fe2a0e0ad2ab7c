import { spinner } from "@clack/prompts";
import { CaptunUsageError } from "../args.ts";
import type { CertificatePack, CloudflareApi } from "./cloudflare-api.ts";
import type { DeployIo } from "./io.ts";

export interface CertificateOptions {
  /** Between status checks. @default 10_000 */
  pollMs?: number;
  /** Give up waiting after this long. @default 1_200_000 */
  timeoutMs?: number;
}

/**
 * Pack statuses on the way to `active` (the schema's status enum). Every other status —
 * deleted, pending_deletion, pending_expiration, expired, deactivating, inactive, pending_cleanup
 * and the *_timed_out ones — is a pack that will not serve again: it is neither reused nor waited on.
 */
const ON_THE_WAY = new Set([
  "initializing",
  "pending_validation",
  "pending_issuance",
  "pending_deployment",
  "staging_deployment",
  "staging_active",
  "backup_issued",
  "holding_deployment",
]);

/** Universal SSL covers `zone` and `*.zone`; `*.<hostname>` one level deeper needs a pack. */
export function certificateHosts(zone: string, hostname: string): string[] {
  // certificate-packs-order: hosts "must contain the zone apex".
  return [zone, hostname, `*.${hostname}`];
}

/** An active pack for `hostname` + `*.hostname`, else one still on its way, else `undefined`. */
export function usablePack(packs: CertificatePack[], hostname: string): CertificatePack | undefined {
  const covering = packs.filter((pack) => pack.hosts.includes(hostname) && pack.hosts.includes(`*.${hostname}`));
  return covering.find((pack) => pack.status === "active") ?? covering.find((pack) => ON_THE_WAY.has(pack.status));
}

export function acmNotEnabledError(zone: { name: string }, accountId: string, hostname: string): CaptunUsageError {
  return new CaptunUsageError(
    [
      `${hostname} is below ${zone.name}, so *.${hostname} needs an Advanced Certificate Manager certificate, and ACM is not enabled on ${zone.name}.`,
      `  Enable it (about $10/month) at https://dash.cloudflare.com/${accountId}/${zone.name}/ssl-tls/edge-certificates and run captun deploy again,`,
      `  or use a zone of its own (--route '*.${zone.name}/*' on a domain set aside for tunnels, ~$10/year).`,
    ].join("\n"),
  );
}

/** Polls the pack until Cloudflare reports it active; stops early if it turns into a dead status. */
export async function waitForCertificate(
  api: CloudflareApi,
  zoneId: string,
  initial: CertificatePack,
  hostname: string,
  io: DeployIo,
  options: CertificateOptions = {},
): Promise<void> {
  let pack = initial;
  if (pack.status === "active") return;
  const pollMs = options.pollMs ?? 10_000;
  const deadline = Date.now() + (options.timeoutMs ?? 20 * 60_000);
  const progress = spinner({ output: io.output });
  progress.start(`Waiting for the certificate for *.${hostname} (${pack.status}); this usually takes a few minutes`);
  while (pack.status !== "active") {
    if (!ON_THE_WAY.has(pack.status)) {
      progress.stop(`The certificate is ${pack.status}.`);
      throw new CaptunUsageError(
        `The certificate pack ${pack.id} for *.${hostname} became ${pack.status}. Run captun deploy again to order a new one.`,
      );
    }
    if (Date.now() > deadline) {
      progress.stop(`The certificate is still ${pack.status}.`);
      throw new CaptunUsageError(
        `The certificate for *.${hostname} is still ${pack.status} after ${Math.round((options.timeoutMs ?? 20 * 60_000) / 60_000)} minutes. Check for CAA records that exclude Let's Encrypt on the zone, then run captun deploy again.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    pack = await api.certificatePack(zoneId, pack.id);
    progress.message(`Waiting for the certificate for *.${hostname} (${pack.status})`);
  }
  progress.stop(`Certificate for *.${hostname} is active`);
}
