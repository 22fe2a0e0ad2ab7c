import { CaptunUsageError } from "../args.ts";
import { acmNotEnabledError, certificateHosts, usablePack } from "./certificate.ts";
import type { CertificatePack, DnsRecord } from "./cloudflare-api.ts";
import type { DeploymentRecord } from "./deployment-record.ts";
import type { AccountSnapshot } from "./inspect.ts";
import { needsAdvancedCertificate, type RoutingPlan, routePattern } from "./routing-plan.ts";

/** One change deploy makes, in the order it makes them. */
export type Step =
  | { kind: "order-certificate"; zoneId: string; hosts: string[] }
  | { kind: "wait-certificate"; zoneId: string; pack: CertificatePack }
  | { kind: "create-dns"; zoneId: string; name: string }
  | { kind: "proxy-dns"; zoneId: string; records: DnsRecord[] }
  | { kind: "upload-worker"; why: string; creates: boolean }
  | { kind: "save-config" };

export interface DeployPlan {
  serverUrl: string;
  customHostname: string | undefined;
  /** A tunnel URL, for the success message. */
  example: string;
  steps: Step[];
  /** Resources already in place that deploy keeps as they are. */
  kept: string[];
  /** What an earlier deploy created that is still there (stays in the record for undeploy). */
  carried: DeploymentRecord["created"];
}

const ADDRESS_TYPES = ["A", "AAAA", "CNAME"];

/** Works out what to change, from what the account holds and what the last deploy saved. Pure. */
export function planDeployment(input: {
  routing: RoutingPlan;
  snapshot: AccountSnapshot;
  workerName: string;
  saved: DeploymentRecord | undefined;
  fingerprint: string;
}): DeployPlan {
  const { routing, snapshot, workerName, saved } = input;
  const { accountId } = snapshot;
  const steps: Step[] = [];
  const kept: string[] = [];
  const carried: DeploymentRecord["created"] = {};

  if (snapshot.workerBindings && !snapshot.workerBindings.some((binding) => binding.class_name === "CaptunServerShard")) {
    throw new CaptunUsageError(
      `A Worker named ${workerName} already exists on this account and is not a captun server. Deploy under another name with --worker-name <name>.`,
    );
  }

  let serverUrl: string;
  let customHostname: string | undefined;
  let example: string;
  let routed: boolean;
  if (routing.kind === "workers-dev") {
    if (!snapshot.workersSubdomain) {
      throw new CaptunUsageError(
        [
          "This account has no workers.dev subdomain yet, so workers.dev URLs cannot work.",
          `  Pick one at https://dash.cloudflare.com/${accountId}/workers-and-pages (Workers & Pages → your subdomain, shown on the right), then run captun deploy again,`,
          "  or deploy on a zone of yours with --route '*.<zone>/*' --zone <zone>.",
        ].join("\n"),
      );
    }
    serverUrl = `https://${workerName}.${snapshot.workersSubdomain}.workers.dev`;
    example = `${serverUrl}/<name>`;
    routed = snapshot.workersDevEnabled;
  } else {
    const zone = snapshot.zone!;
    const pattern = routePattern(routing);
    serverUrl = `https://${routing.hostname}`;
    customHostname = routing.hostname;
    example = `https://<name>.${routing.hostname}`;
    const route = snapshot.routes!.find((candidate) => candidate.pattern === pattern);
    if (route?.script && route.script !== workerName) {
      throw new CaptunUsageError(
        `The route ${pattern} on ${zone.name} already sends traffic to the Worker "${route.script}". Remove that route first, or pick another hostname.`,
      );
    }
    routed = route?.script === workerName;
    if (needsAdvancedCertificate(routing)) planCertificate(routing, snapshot, saved, steps, kept, carried);
    planDns(routing, snapshot, saved, steps, kept, carried);
  }

  if (saved && saved.serverUrl !== serverUrl) {
    throw new CaptunUsageError(
      `captun is deployed at ${saved.serverUrl} (Worker ${saved.workerName}). Run \`captun undeploy\` first to remove it, then deploy to ${serverUrl}.`,
    );
  }
  const where = routing.kind === "zone" ? routePattern(routing) : "workers.dev";
  const sameVersion = saved?.accountId === accountId && saved.workerName === workerName && saved.fingerprint === input.fingerprint;
  if (!snapshot.workerBindings) steps.push({ kind: "upload-worker", why: `create the Worker ${workerName}`, creates: true });
  else if (!sameVersion)
    steps.push({ kind: "upload-worker", why: `update the Worker ${workerName} (new bundle, settings or secret)`, creates: false });
  else if (!routed) steps.push({ kind: "upload-worker", why: `re-attach the Worker ${workerName} to ${where}`, creates: false });
  else kept.push(`Worker ${workerName}, same bundle, settings and secret, on ${where}`);
  if (steps.length > 0) steps.push({ kind: "save-config" });
  return { serverUrl, customHostname, example, steps, kept, carried };
}

function planCertificate(
  routing: Extract<RoutingPlan, { kind: "zone" }>,
  snapshot: AccountSnapshot,
  saved: DeploymentRecord | undefined,
  steps: Step[],
  kept: string[],
  carried: DeploymentRecord["created"],
) {
  const zone = snapshot.zone!;
  const pack = usablePack(snapshot.certificatePacks!, routing.hostname);
  if (pack && saved?.created.certificatePackId === pack.id) carried.certificatePackId = pack.id;
  if (pack?.status === "active") {
    kept.push(`certificate pack ${pack.id} (${pack.hosts.join(", ")}), active`);
    return;
  }
  if (pack) {
    steps.push({ kind: "wait-certificate", zoneId: zone.id, pack });
    return;
  }
  if ((snapshot.acmQuota ?? 0) < 1) throw acmNotEnabledError(zone, snapshot.accountId, routing.hostname);
  steps.push({ kind: "order-certificate", zoneId: zone.id, hosts: certificateHosts(zone.name, routing.hostname) });
}

/** Routes only run on proxied hostnames: the wildcard needs a proxied record. */
function planDns(
  routing: Extract<RoutingPlan, { kind: "zone" }>,
  snapshot: AccountSnapshot,
  saved: DeploymentRecord | undefined,
  steps: Step[],
  kept: string[],
  carried: DeploymentRecord["created"],
) {
  const zone = snapshot.zone!;
  const records = snapshot.wildcardRecords!.filter((record) => ADDRESS_TYPES.includes(record.type));
  const ours = (ids: string[] | undefined) => records.filter((record) => ids?.includes(record.id)).map((record) => record.id);
  const created = ours(saved?.created.dnsRecordIds);
  const switched = ours(saved?.created.proxiedDnsRecordIds);
  if (created.length > 0) carried.dnsRecordIds = created;
  if (switched.length > 0) carried.proxiedDnsRecordIds = switched;
  const dnsOnly = records.filter((record) => !record.proxied);
  if (records.length === 0) steps.push({ kind: "create-dns", zoneId: zone.id, name: `*.${routing.hostname}` });
  else if (dnsOnly.length > 0) steps.push({ kind: "proxy-dns", zoneId: zone.id, records: dnsOnly });
  else kept.push(`DNS ${records.map((record) => `${record.type} ${record.name} ${record.content}`).join(", ")}, proxied`);
}
