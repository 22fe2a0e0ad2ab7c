import pc from "picocolors";
import type { DeployPlan, Step } from "./deploy-plan.ts";
import type { RoutingPlan } from "./routing-plan.ts";
import { routePattern } from "./routing-plan.ts";

export interface PlanContext {
  accountId: string;
  workerName: string;
  shards: number;
  routing: RoutingPlan;
  configFile: string;
}

/** The plan as the user reads it: each change with the API call that makes it, then what stays. */
export function formatPlan(plan: DeployPlan, context: PlanContext): string {
  const lines = [`Plan for ${plan.serverUrl} (account ${context.accountId}):`];
  for (const step of plan.steps) {
    const [what, call] = describe(step, plan, context);
    lines.push(`  ${pc.green("+")} ${what}`, pc.dim(`      ${call}`));
  }
  for (const thing of plan.kept) lines.push(`  ${pc.dim("=")} keep ${thing}`);
  return lines.join("\n");
}

function describe(step: Step, plan: DeployPlan, context: PlanContext): [string, string] {
  const { accountId, workerName } = context;
  switch (step.kind) {
    case "order-certificate":
      return [
        `order an Advanced Certificate Manager pack for ${step.hosts.join(", ")} (Let's Encrypt, TXT validation, 90 days) and wait until it is active`,
        `POST /zones/${step.zoneId}/ssl/certificate_packs/order, then GET …/ssl/certificate_packs/<id> until active`,
      ];
    case "wait-certificate":
      return [
        `wait until the certificate pack ${step.pack.id} (${step.pack.hosts.join(", ")}) is active (now ${step.pack.status})`,
        `GET /zones/${step.zoneId}/ssl/certificate_packs/${step.pack.id}`,
      ];
    case "create-dns":
      return [
        `add the DNS record AAAA ${step.name} 100:: (proxied), so the route receives traffic`,
        `POST /zones/${step.zoneId}/dns_records`,
      ];
    case "proxy-dns":
      return [
        `switch ${step.records.map((record) => `${record.type} ${record.name} ${record.content}`).join(", ")} from DNS only to proxied (routes run only on proxied hostnames)`,
        step.records.map((record) => `PATCH /zones/${step.zoneId}/dns_records/${record.id} {"proxied":true}`).join("; "),
      ];
    case "upload-worker": {
      const vars = [`SHARDS=${context.shards}`, ...(plan.customHostname ? [`CUSTOM_HOSTNAME=${plan.customHostname}`] : [])];
      const where =
        context.routing.kind === "zone" ? `route ${routePattern(context.routing)} on ${context.routing.zone}` : "workers.dev enabled";
      return [
        `${step.why}: captun's Worker bundle, Durable Object CaptunServerShard, ${vars.join(", ")}, secret CONNECT_SECRET, ${where}`,
        `wrangler deploy → PUT /accounts/${accountId}/workers/scripts/${workerName}, ${
          context.routing.kind === "zone" ? `PUT …/workers/scripts/${workerName}/routes` : `POST …/workers/scripts/${workerName}/subdomain`
        }`,
      ];
    }
    case "save-config":
      return [`save the server URL, connect secret and this deployment's record`, context.configFile];
  }
}
