import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { confirm, isCancel } from "@clack/prompts";
import pc from "picocolors";
import { configPath, readConfig, updateConfig } from "../../config.ts";
import { CaptunUsageError, parseCommandArgs } from "../args.ts";
import { log } from "../log.ts";
import { type CloudflareApi, createCloudflareApi } from "./cloudflare-api.ts";
import { missingPermissionsError, type Permission, probe, resolveCredentials, verifyCredentials } from "./credentials.ts";
import { UNDEPLOY_HELP } from "./deploy-help.ts";
import type { DeploymentRecord } from "./deployment-record.ts";
import { type DeployIo, processIo } from "./io.ts";
import type { RoutingPlan } from "./routing-plan.ts";

const OPTIONS = {
  "dry-run": { type: "boolean" },
  yes: { type: "boolean", short: "y" },
  help: { type: "boolean", short: "h" },
} as const;

export interface UndeployOptions {
  /** List what would be removed; remove nothing. @default false */
  dryRun?: boolean;
  /** Remove without asking. @default false */
  yes?: boolean;
  /** May ask for confirmation. @default false */
  prompt?: boolean;
}

/** `captun undeploy [--dry-run] [--yes]`. */
export async function undeployCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(UNDEPLOY_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new CaptunUsageError(`captun undeploy takes only flags (got "${positionals[0]}").`);
  const prompt = process.stdin.isTTY === true && process.stdout.isTTY === true;
  return runUndeploy({ dryRun: values["dry-run"], yes: values.yes, prompt }, processIo());
}

interface Removal {
  what: string;
  run: () => Promise<unknown>;
}

/**
 * Removes what `captun deploy` recorded that it created — the Worker, its route, the wildcard DNS
 * record, the certificate pack, the DNS records it switched to proxied go back to DNS only — and
 * the deployed server from the config. Anything deploy found already in place stays.
 */
export async function runUndeploy(options: UndeployOptions, io: DeployIo = processIo()): Promise<number> {
  const file = configPath(io.env);
  const config = await readConfig(file);
  const record = config.deployment;
  if (!record) {
    throw new CaptunUsageError(
      config.serverUrl
        ? `${file} names ${config.serverUrl} but holds no record of what captun deploy created there (it was deployed by an older captun), so nothing was removed. Delete the Worker in the Cloudflare dashboard, or run captun deploy once more to record it.`
        : `Nothing to undeploy: ${file} records no captun deployment.`,
    );
  }
  const scratch = await mkdtemp(join(tmpdir(), "captun-wrangler-"));
  try {
    const api = createCloudflareApi(await resolveCredentials(io.env, scratch), io.env);
    await verifyCredentials(api);
    const removals = await findRemovals(api, record);
    const forgetServer = config.serverUrl === record.serverUrl;
    log.info(`Remove the captun deployment at ${record.serverUrl} (account ${record.accountId}):`);
    for (const removal of removals) log.info(`  ${pc.red("-")} ${removal.what}`);
    log.info(`  ${pc.red("-")} ${forgetServer ? "the server URL, secret and deployment record" : "the deployment record"} in ${file}`);
    if (options.dryRun) {
      log.success("Dry run: nothing was removed.");
      return 0;
    }
    if (!options.yes) {
      if (!options.prompt) throw new CaptunUsageError("Run `captun undeploy --yes` to remove these (or run it in a terminal to be asked).");
      const answer = await confirm({ input: io.input, output: io.output, message: "Remove them?", initialValue: false });
      if (isCancel(answer) || !answer) throw new CaptunUsageError("Undeploy cancelled; nothing was removed.");
    }
    for (const removal of removals) {
      await removal.run();
      log.step(`Removed ${removal.what}`);
    }
    await updateConfig(
      forgetServer
        ? { serverUrl: undefined, secret: undefined, routing: undefined, customHostname: undefined, deployment: undefined }
        : { deployment: undefined },
      file,
    );
    log.success(`Undeployed ${record.serverUrl}.`);
    return 0;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Reads what is still there of the recorded resources; a 403 names the token needed, before anything is removed. */
async function findRemovals(api: CloudflareApi, record: DeploymentRecord): Promise<Removal[]> {
  const { accountId, workerName, zone, created } = record;
  const refused: { call: string; permission: Permission }[] = [];
  const removals: Removal[] = [];
  const routing: RoutingPlan = zone
    ? { kind: "zone", zone: zone.name, hostname: new URL(record.serverUrl).hostname }
    : { kind: "workers-dev" };

  if (zone) {
    const routes = (await probe(refused, "Zone · Workers Routes · Edit", () => api.workerRoutes(zone.id))) ?? [];
    for (const route of routes.filter((candidate) => candidate.pattern === zone.route && candidate.script === workerName)) {
      removals.push({ what: `route ${route.pattern} → ${workerName}`, run: () => api.deleteWorkerRoute(zone.id, route.id) });
    }
  }
  const bindings = await probe(refused, "Account · Workers Scripts · Edit", () => api.workerBindings(accountId, workerName));
  if (bindings?.some((binding) => binding.class_name === "CaptunServerShard")) {
    removals.push({ what: `Worker ${workerName} (and its Durable Objects)`, run: () => api.deleteWorker(accountId, workerName) });
  } else if (bindings) {
    log.warn(`The Worker ${workerName} is no longer a captun server; it stays.`);
  }
  if (zone) {
    for (const id of created.dnsRecordIds ?? []) {
      const dns = await probe(refused, "Zone · DNS · Edit", () => api.dnsRecord(zone.id, id));
      if (dns) removals.push({ what: `DNS record ${dns.type} ${dns.name} ${dns.content}`, run: () => api.deleteDnsRecord(zone.id, id) });
    }
    for (const id of created.proxiedDnsRecordIds ?? []) {
      const dns = await probe(refused, "Zone · DNS · Edit", () => api.dnsRecord(zone.id, id));
      if (dns?.proxied) {
        removals.push({
          what: `proxying of ${dns.type} ${dns.name} (back to DNS only, as deploy found it)`,
          run: () => api.setDnsRecordProxied(zone.id, id, false),
        });
      }
    }
    const packId = created.certificatePackId;
    if (packId) {
      const pack = await probe(refused, "Zone · SSL and Certificates · Edit", () => api.certificatePack(zone.id, packId).catch(notFound));
      if (pack && !/delet|expired|inactive|deactivating|cleanup/.test(pack.status)) {
        removals.push({
          what: `certificate pack ${pack.id} (${pack.hosts.join(", ")})`,
          run: () => api.deleteCertificatePack(zone.id, packId),
        });
      }
    }
  }
  if (refused.length > 0) throw missingPermissionsError(routing, api.credentials, refused, "npx captun undeploy");
  return removals;
}

function notFound(error: unknown): undefined {
  if ((error as { status?: number }).status === 404) return undefined;
  throw error;
}
