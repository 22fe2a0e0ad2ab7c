import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { confirm, isCancel } from "@clack/prompts";
import pc from "picocolors";
import { configPath, maskSecret, readConfig, updateConfig } from "../../config.ts";
import { WORKER_BUNDLE } from "../../local-server.ts";
import { newConnectSecret } from "../../secret.ts";
import { CaptunUsageError, parseCommandArgs, parseInteger } from "../args.ts";
import { log, urlLine } from "../log.ts";
import { applyPlan } from "./apply.ts";
import { CaptunCloudflareApiError, createCloudflareApi } from "./cloudflare-api.ts";
import { isForbidden, missingPermissionsError, permissionForCall, resolveCredentials, verifyCredentials } from "./credentials.ts";
import { DEPLOY_HELP } from "./deploy-help.ts";
import { type DeployPlan, planDeployment } from "./deploy-plan.ts";
import { fingerprint } from "./deployment-record.ts";
import { inspectAccount, pickAccount } from "./inspect.ts";
import { type DeployIo, processIo } from "./io.ts";
import { formatPlan } from "./plan-text.ts";
import { planFromFlags, type RoutingPlan, routePattern } from "./routing-plan.ts";
import { runUndeploy } from "./undeploy.ts";
import { askRoutingPlan } from "./wizard.ts";
import { wranglerConfig, writeDeployDirectory } from "./worker-config.ts";
import { runWrangler } from "./wrangler.ts";

const OPTIONS = {
  route: { type: "string" },
  zone: { type: "string" },
  shards: { type: "string" },
  "worker-name": { type: "string" },
  "dry-run": { type: "boolean" },
  remove: { type: "boolean" },
  yes: { type: "boolean", short: "y" },
  help: { type: "boolean", short: "h" },
} as const;

export interface DeployOptions {
  /** Routing from flags; `undefined` asks the wizard when interactive, else workers.dev. */
  route?: string;
  zone?: string;
  /** @default 1 */
  shards?: number;
  /** @default "captun" */
  workerName?: string;
  /** Read the account and print the plan; change nothing. @default false */
  dryRun?: boolean;
  /** Ask with the wizard instead of reading flags. @default false */
  interactive?: boolean;
  /** May ask yes/no questions (e.g. to proxy an existing DNS record). @default `interactive` */
  prompt?: boolean;
  /** Answer yes to every question. @default false */
  yes?: boolean;
  /** Milliseconds between certificate status checks. @default 10_000 */
  certificatePollMs?: number;
  /** How the user ran deploy, for the "run this instead" hints. @default "npx captun deploy" */
  commandLine?: string;
}

/** `captun deploy [flags]`. */
export async function deployCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(DEPLOY_HELP);
    return 0;
  }
  if (positionals.length > 0)
    throw new CaptunUsageError(`captun deploy takes only flags (got "${positionals[0]}"). Run \`captun deploy --help\`.`);
  const io = processIo();
  const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true;
  if (values.remove) return runUndeploy({ yes: values.yes, dryRun: values["dry-run"], prompt: terminal }, io);
  return runDeploy(
    {
      route: values.route,
      zone: values.zone,
      shards: values.shards === undefined ? undefined : parseInteger(values.shards, "--shards", 1, 10_000),
      workerName: values["worker-name"],
      dryRun: values["dry-run"],
      interactive: !values.yes && !values.route && terminal,
      prompt: !values.yes && terminal,
      yes: values.yes,
      certificatePollMs: io.env.CAPTUN_CERTIFICATE_POLL_MS ? Number(io.env.CAPTUN_CERTIFICATE_POLL_MS) : undefined,
      commandLine: ["npx captun deploy", ...argv].join(" "),
    },
    io,
  );
}

/** Deploys the captun Worker and saves how to reach it; resolves with the exit code. */
export async function runDeploy(options: DeployOptions, io: DeployIo = processIo()): Promise<number> {
  const workerName = options.workerName ?? "captun";
  const shards = options.shards ?? 1;
  const file = configPath(io.env);
  const scratch = await mkdtemp(join(tmpdir(), "captun-wrangler-"));
  try {
    const api = createCloudflareApi(await resolveCredentials(io.env, scratch), io.env);
    await verifyCredentials(api);
    const accountId = await pickAccount(api, io.env);
    const routing = options.interactive
      ? await askRoutingPlan(io, () => api.zones(accountId).catch(typedInstead))
      : planFromFlags(options.route, options.zone);
    if (!routing) return 0;
    log.step(`Routing: ${describeRouting(routing, workerName)}; ${shards} shard${shards === 1 ? "" : "s"}`);

    const snapshot = await inspectAccount(api, routing, workerName, accountId, options.commandLine ?? "npx captun deploy");
    const config = await readConfig(file);
    const serverUrl =
      routing.kind === "zone"
        ? `https://${routing.hostname}`
        : snapshot.workersSubdomain && `https://${workerName}.${snapshot.workersSubdomain}.workers.dev`;
    // Redeploying to the same place keeps the secret, so clients on other machines keep working.
    const secret = config.serverUrl === serverUrl && config.secret ? config.secret : newConnectSecret();
    const deployment = { workerName, plan: routing, shards, secret };
    const version = await fingerprint(WORKER_BUNDLE!, wranglerConfig(deployment), secret);
    const plan = planDeployment({ routing, snapshot, workerName, saved: config.deployment, fingerprint: version });

    if (plan.steps.length === 0) {
      log.success(`Nothing to change: captun is deployed and up to date at ${plan.serverUrl}.`);
      for (const thing of plan.kept) log.dim(`  = ${thing}`);
      return 0;
    }
    log.info(formatPlan(plan, { accountId, workerName, shards, routing, configFile: file }));
    if (options.dryRun) {
      await using directory = await writeDeployDirectory({ workerName, plan: routing, shards });
      await runWrangler(["deploy", "--config", directory.configFile, "--dry-run", "--outdir", join(directory.path, "out")], {
        cwd: directory.path,
        env: io.env,
      });
      log.success("Dry run: wrangler accepted the Worker and its config. Nothing was changed or saved.");
      return 0;
    }
    await confirmDnsSwitch(plan, options, io);

    await using directory = await writeDeployDirectory(deployment);
    const commandLine = options.commandLine ?? "npx captun deploy";
    await applyPlan(plan, {
      api,
      io,
      hostname: plan.customHostname,
      certificate: { pollMs: options.certificatePollMs },
      upload: async () => {
        log.step(`Deploying ${workerName} with wrangler…`);
        await runWrangler(["deploy", "--config", directory.configFile, "--secrets-file", directory.secretsFile!], {
          cwd: directory.path,
          env: { ...io.env, CLOUDFLARE_ACCOUNT_ID: accountId },
          echo: true,
        });
      },
      deleteWorker: () => api.deleteWorker(accountId, workerName),
      save: (created) =>
        updateConfig(
          {
            serverUrl: plan.serverUrl,
            secret,
            routing: routing.kind === "zone" ? "subdomain" : "folder",
            customHostname: plan.customHostname,
            deployment: {
              accountId,
              workerName,
              serverUrl: plan.serverUrl,
              fingerprint: version,
              zone:
                routing.kind === "zone" ? { id: snapshot.zone!.id, name: snapshot.zone!.name, route: routePattern(routing) } : undefined,
              created,
            },
          },
          file,
        ).then(() => undefined),
    }).catch((error: unknown) => {
      // A write the reads could not foresee was refused (e.g. a token with DNS Read, not Edit);
      // applyPlan has undone this run's changes by now.
      if (isForbidden(error))
        throw missingPermissionsError(
          routing,
          api.credentials,
          [{ call: error.call, permission: permissionForCall(error.call) }],
          commandLine,
        );
      throw error;
    });
    log.success("Deployed.");
    log.info(urlLine("Server", plan.serverUrl));
    log.info(urlLine("Tunnels", plan.example));
    log.info(pc.dim(`\n  Secret ${maskSecret(secret)} saved to ${file}`));
    log.info(pc.dim("  Next: npx captun 3000   (remove it all again: npx captun undeploy)\n"));
    return 0;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** An existing DNS-only wildcard record must become proxied for the route to fire: ask first. */
async function confirmDnsSwitch(plan: DeployPlan, options: DeployOptions, io: DeployIo): Promise<void> {
  const step = plan.steps.find((candidate) => candidate.kind === "proxy-dns");
  if (!step || options.yes) return;
  const records = step.records.map((record) => `${record.type} ${record.name} ${record.content}`).join(", ");
  const question = `${records} is DNS only, so the Worker route never runs for it. Switch it to proxied (traffic then goes through Cloudflare, to the Worker)?`;
  if (!(options.prompt ?? options.interactive)) {
    throw new CaptunUsageError(
      `${question.replace(/\?$/, ".")}\n  Run again with --yes to switch it, or switch it to proxied in the dashboard (DNS → Records) yourself. Nothing was changed.`,
    );
  }
  const answer = await confirm({ input: io.input, output: io.output, message: question, initialValue: false });
  if (isCancel(answer) || !answer) throw new CaptunUsageError("Deploy cancelled; nothing was changed.");
}

/** Without Zone Read the wizard asks for the zone's name instead of listing zones. */
function typedInstead(error: unknown): [] {
  if (error instanceof CaptunCloudflareApiError && error.status === 403) return [];
  throw error;
}

function describeRouting(plan: RoutingPlan, workerName: string): string {
  if (plan.kind === "workers-dev") return `workers.dev folder routing (https://${workerName}.<account>.workers.dev/<name>)`;
  return `subdomain routing on ${routePattern(plan)} in zone ${plan.zone} (https://<name>.${plan.hostname})`;
}
