import { log } from "../log.ts";
import { type CertificateOptions, waitForCertificate } from "./certificate.ts";
import type { CloudflareApi } from "./cloudflare-api.ts";
import type { DeployPlan } from "./deploy-plan.ts";
import type { DeploymentRecord } from "./deployment-record.ts";
import type { DeployIo } from "./io.ts";

export interface ApplyContext {
  api: CloudflareApi;
  io: DeployIo;
  hostname: string | undefined;
  certificate: CertificateOptions;
  /** Uploads the Worker (wrangler deploy). */
  upload(): Promise<void>;
  /** Deletes the Worker (when this run created it and a later step failed). */
  deleteWorker(): Promise<unknown>;
  /** Saves the config with the record of what exists now. */
  save(created: DeploymentRecord["created"]): Promise<void>;
}

/**
 * Makes the plan's changes in order. If one fails, the changes this run already made are undone
 * in reverse, so a failed deploy leaves the account as it found it.
 */
export async function applyPlan(plan: DeployPlan, context: ApplyContext): Promise<DeploymentRecord["created"]> {
  const { api } = context;
  const created: DeploymentRecord["created"] = structuredClone(plan.carried);
  const undo: { what: string; run: () => Promise<unknown> }[] = [];
  try {
    for (const step of plan.steps) {
      switch (step.kind) {
        case "order-certificate": {
          const pack = await api.orderAdvancedCertificatePack(step.zoneId, step.hosts);
          undo.push({ what: `certificate pack ${pack.id}`, run: () => api.deleteCertificatePack(step.zoneId, pack.id) });
          created.certificatePackId = pack.id;
          log.step(`Ordered an Advanced Certificate Manager pack for ${step.hosts.join(", ")}`);
          await waitForCertificate(api, step.zoneId, pack, context.hostname!, context.io, context.certificate);
          break;
        }
        case "wait-certificate":
          await waitForCertificate(api, step.zoneId, step.pack, context.hostname!, context.io, context.certificate);
          break;
        case "create-dns": {
          const record = await api.createProxiedDnsRecord(step.zoneId, step.name);
          undo.push({ what: `DNS record ${record.name}`, run: () => api.deleteDnsRecord(step.zoneId, record.id) });
          created.dnsRecordIds = [...(created.dnsRecordIds ?? []), record.id];
          log.step(`Added a proxied DNS record ${record.type} ${record.name} ${record.content} so the route receives traffic`);
          break;
        }
        case "proxy-dns":
          for (const record of step.records) {
            await api.setDnsRecordProxied(step.zoneId, record.id, true);
            undo.push({ what: `proxy status of ${record.name}`, run: () => api.setDnsRecordProxied(step.zoneId, record.id, false) });
            created.proxiedDnsRecordIds = [...(created.proxiedDnsRecordIds ?? []), record.id];
            log.step(`Switched ${record.type} ${record.name} ${record.content} to proxied`);
          }
          break;
        case "upload-worker":
          // A failed upload of a new Worker may still have created it (wrangler uploads, then routes).
          if (step.creates) undo.push({ what: "the new Worker", run: context.deleteWorker });
          await context.upload();
          break;
        case "save-config":
          await context.save(created);
          break;
      }
    }
    return created;
  } catch (error) {
    await rollBack(undo);
    throw error;
  }
}

async function rollBack(undo: { what: string; run: () => Promise<unknown> }[]): Promise<void> {
  if (undo.length === 0) return;
  log.warn("Deploy failed; undoing the changes it made:");
  for (const step of undo.reverse()) {
    try {
      await step.run();
      log.warn(`  undid ${step.what}`);
    } catch (error) {
      log.error(`  could not undo ${step.what}: ${(error as Error).message}. Remove it in the Cloudflare dashboard.`);
    }
  }
}
