import { spinner } from "@clack/prompts";
import { CaptunUsageError } from "../args.ts";
import type { CloudflareApi } from "./cloudflare-api.ts";
import type { DeployIo } from "./io.ts";

export interface CertificateOptions {
  /** Between status checks. @default 10_000 */
  pollMs?: number;
  /** Give up waiting after this long (the order stays in place). @default 1_200_000 */
  timeoutMs?: number;
}

/**
 * Makes sure an active Advanced Certificate Manager pack covers `hostname` and `*.hostname`:
 * stops with a dashboard link when ACM is off (it cannot be subscribed to through the API),
 * otherwise reuses or orders a pack and waits until Cloudflare reports it active.
 */
export async function ensureAdvancedCertificate(
  api: CloudflareApi,
  zone: { id: string; name: string; accountId: string },
  hostname: string,
  io: DeployIo,
  options: CertificateOptions = {},
): Promise<void> {
  if ((await api.advancedCertificateQuota(zone.id)) < 1) {
    throw new CaptunUsageError(
      [
        `${hostname} is below ${zone.name}, so *.${hostname} needs an Advanced Certificate Manager certificate, and ACM is not enabled on ${zone.name}.`,
        `  Enable it (about $10/month) at https://dash.cloudflare.com/${zone.accountId}/${zone.name}/ssl-tls/edge-certificates and run captun deploy again,`,
        `  or use a zone of its own (--route '*.${zone.name}/*' on a domain set aside for tunnels, ~$10/year).`,
      ].join("\n"),
    );
  }
  const hosts = [hostname, `*.${hostname}`];
  const covers = (hostsOfPack: string[]) => hosts.every((host) => hostsOfPack.includes(host));
  const existing = (await api.certificatePacks(zone.id)).filter(
    (pack) => covers(pack.hosts) && !/deleted|expired|timed_out/.test(pack.status),
  );
  let pack = existing.find((candidate) => candidate.status === "active") ?? existing[0];
  if (pack?.status === "active") return;
  pack ??= await api.orderAdvancedCertificatePack(zone.id, hosts);

  const pollMs = options.pollMs ?? 10_000;
  const deadline = Date.now() + (options.timeoutMs ?? 20 * 60_000);
  const progress = spinner({ output: io.output });
  progress.start(`Waiting for the certificate for *.${hostname} (${pack.status}); this usually takes a few minutes`);
  while (pack.status !== "active") {
    if (Date.now() > deadline) {
      progress.stop(`The certificate is still ${pack.status}.`);
      throw new CaptunUsageError(
        `The certificate for *.${hostname} is not active yet (${pack.status}). Run captun deploy again in a few minutes.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    pack = await api.certificatePack(zone.id, pack.id);
    progress.message(`Waiting for the certificate for *.${hostname} (${pack.status})`);
  }
  progress.stop(`Certificate for *.${hostname} is active`);
}
