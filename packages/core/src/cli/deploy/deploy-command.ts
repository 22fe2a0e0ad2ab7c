import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pc from "picocolors";
import { configPath, maskSecret, readConfig, updateConfig } from "../../config.ts";
import { CaptunUsageError, parseCommandArgs, parseInteger } from "../args.ts";
import { log, urlLine } from "../log.ts";
import { ensureAdvancedCertificate } from "./certificate.ts";
import { type CloudflareApi, createCloudflareApi } from "./cloudflare-api.ts";
import { type DeployIo, processIo } from "./io.ts";
import { needsAdvancedCertificate, planFromFlags, type RoutingPlan, routePattern } from "./routing-plan.ts";
import { askRoutingPlan } from "./wizard.ts";
import { writeDeployDirectory } from "./worker-config.ts";
import { cloudflareToken, runWrangler } from "./wrangler.ts";

const OPTIONS = {
  route: { type: "string" },
  zone: { type: "string" },
  shards: { type: "string" },
  "worker-name": { type: "string" },
  "dry-run": { type: "boolean" },
  yes: { type: "boolean", short: "y" },
} as const;

export interface DeployOptions {
  /** Routing from flags; `undefined` asks the wizard when interactive, else workers.dev. */
  route?: string;
  zone?: string;
  /** @default 1 */
  shards?: number;
  /** @default "captun" */
  workerName?: string;
  /** Build and validate with `wrangler deploy --dry-run`; no API calls, nothing saved. @default false */
  dryRun?: boolean;
  /** Ask with the wizard instead of reading flags. @default false */
  interactive?: boolean;
  /** Milliseconds between certificate status checks. @default 10_000 */
  certificatePollMs?: number;
}

/** `captun deploy [flags]`. */
export async function deployCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length > 0)
    throw new CaptunUsageError(`captun deploy takes only flags (got "${positionals[0]}"). Run \`captun --help\`.`);
  const io = processIo();
  return runDeploy(
    {
      route: values.route,
      zone: values.zone,
      shards: values.shards === undefined ? undefined : parseInteger(values.shards, "--shards", 1, 10_000),
      workerName: values["worker-name"],
      dryRun: values["dry-run"],
      interactive: !values.yes && !values.route && process.stdin.isTTY === true && process.stdout.isTTY === true,
      certificatePollMs: io.env.CAPTUN_CERTIFICATE_POLL_MS ? Number(io.env.CAPTUN_CERTIFICATE_POLL_MS) : undefined,
    },
    io,
  );
}

/** Deploys the captun Worker and saves how to reach it; resolves with the exit code. */
export async function runDeploy(options: DeployOptions, io: DeployIo = processIo()): Promise<number> {
  const workerName = options.workerName ?? "captun";
  const shards = options.shards ?? 1;
  const scratch = await mkdtemp(join(tmpdir(), "captun-wrangler-"));
  try {
    const api = options.dryRun ? undefined : await connectApi(io, scratch);
    const plan = options.interactive ? await askRoutingPlan(io, api?.zones) : planFromFlags(options.route, options.zone);
    if (!plan) return 0;
    log.step(`Routing: ${describePlan(plan, workerName)}; ${shards} shard${shards === 1 ? "" : "s"}`);

    if (!api) {
      await using directory = await writeDeployDirectory({ workerName, plan, shards });
      await runWrangler(["deploy", "--config", directory.configFile, "--dry-run", "--outdir", join(directory.path, "out")], {
        cwd: directory.path,
        env: io.env,
      });
      log.success("Dry run passed: wrangler accepted the Worker and its config. Nothing was uploaded or saved.");
      return 0;
    }

    const accountId = await pickAccount(api, io.env);
    const target = await prepareRouting(api, plan, accountId, workerName, io, options);
    const config = await readConfig(configPath(io.env));
    // Redeploying to the same place keeps the secret, so clients on other machines keep working.
    const secret = config.serverUrl === target.serverUrl && config.secret ? config.secret : randomBytes(24).toString("base64url");

    await using directory = await writeDeployDirectory({ workerName, plan, shards, secret });
    log.step(`Deploying ${workerName} with wrangler…`);
    await runWrangler(["deploy", "--config", directory.configFile, "--secrets-file", directory.secretsFile!], {
      cwd: directory.path,
      env: { ...io.env, CLOUDFLARE_ACCOUNT_ID: accountId },
      echo: true,
    });
    await updateConfig(
      {
        serverUrl: target.serverUrl,
        secret,
        routing: plan.kind === "zone" ? "subdomain" : "folder",
        customHostname: target.customHostname,
      },
      configPath(io.env),
    );
    log.success("Deployed.");
    log.info(urlLine("Server", target.serverUrl));
    log.info(urlLine("Tunnels", target.example));
    log.info(pc.dim(`\n  Secret ${maskSecret(secret)} saved to ${configPath(io.env)}`));
    log.info(pc.dim("  Next: npx captun 3000\n"));
    return 0;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function connectApi(io: DeployIo, cwd: string): Promise<CloudflareApi> {
  const token = await cloudflareToken(io.env, cwd);
  if (!token) {
    throw new CaptunUsageError(
      "No Cloudflare credentials found. Run `npx wrangler login` once, or set CLOUDFLARE_API_TOKEN (for CI and other non-interactive shells), then run captun deploy again.",
    );
  }
  return createCloudflareApi(token, io.env);
}

async function pickAccount(api: CloudflareApi, env: NodeJS.ProcessEnv): Promise<string> {
  if (env.CLOUDFLARE_ACCOUNT_ID) return env.CLOUDFLARE_ACCOUNT_ID;
  const accounts = await api.accounts();
  if (accounts.length === 1) return accounts[0]!.id;
  if (accounts.length === 0)
    throw new CaptunUsageError("These Cloudflare credentials can see no account. Check the token's account resources.");
  const list = accounts.map((account) => `  ${account.id}  ${account.name}`).join("\n");
  throw new CaptunUsageError(`These credentials can use several accounts; pick one with CLOUDFLARE_ACCOUNT_ID=<id>:\n${list}`);
}

/** Checks the zone, certificate and DNS a route needs, and works out the server URL. */
async function prepareRouting(
  api: CloudflareApi,
  plan: RoutingPlan,
  accountId: string,
  workerName: string,
  io: DeployIo,
  options: DeployOptions,
) {
  if (plan.kind === "workers-dev") {
    const subdomain = await api.workersSubdomain(accountId);
    if (!subdomain) {
      throw new CaptunUsageError(
        `This account has no workers.dev subdomain yet. Pick one at https://dash.cloudflare.com/${accountId}/workers/onboarding, then run captun deploy again.`,
      );
    }
    const serverUrl = `https://${workerName}.${subdomain}.workers.dev`;
    return { serverUrl, customHostname: undefined, example: `${serverUrl}/<name>` };
  }
  const zone = await api.zoneByName(plan.zone);
  if (!zone)
    throw new CaptunUsageError(
      `The zone ${plan.zone} is not on this Cloudflare account. Add it in the dashboard first, or pick another --zone.`,
    );
  if (needsAdvancedCertificate(plan)) {
    await ensureAdvancedCertificate(api, { id: zone.id, name: zone.name, accountId }, plan.hostname, io, {
      pollMs: options.certificatePollMs,
    });
  }
  const wildcard = `*.${plan.hostname}`;
  if ((await api.dnsRecords(zone.id, wildcard)).length === 0) {
    await api.createProxiedDnsRecord(zone.id, wildcard);
    log.step(`Added a proxied DNS record for ${wildcard} so the route ${routePattern(plan)} receives traffic`);
  }
  return { serverUrl: `https://${plan.hostname}`, customHostname: plan.hostname, example: `https://<name>.${plan.hostname}` };
}

function describePlan(plan: RoutingPlan, workerName: string): string {
  if (plan.kind === "workers-dev") return `workers.dev folder routing (https://${workerName}.<account>.workers.dev/<name>)`;
  return `subdomain routing on ${routePattern(plan)} in zone ${plan.zone} (https://<name>.${plan.hostname})`;
}
