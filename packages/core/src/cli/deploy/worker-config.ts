import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WORKER_BUNDLE, WORKER_COMPATIBILITY_DATE } from "../../local-server.ts";
import { type RoutingPlan, routePattern } from "./routing-plan.ts";

export interface WorkerDeployment {
  workerName: string;
  plan: RoutingPlan;
  shards: number;
  /** Uploaded with the Worker in the same version, so it is never live without its secret. */
  secret?: string;
}

export interface DeployDirectory extends AsyncDisposable {
  path: string;
  configFile: string;
  /** Absent in dry runs. */
  secretsFile: string | undefined;
}

/** The wrangler config deploy uploads with: the prebuilt bundle, its vars, route or workers.dev. */
export function wranglerConfig(deployment: WorkerDeployment): Record<string, unknown> {
  if (!WORKER_BUNDLE) throw new Error("The captun Worker bundle is missing from captun's dist/worker/. Run `pnpm build` first.");
  const { plan } = deployment;
  const vars: Record<string, string> = { SHARDS: String(deployment.shards) };
  if (plan.kind === "zone") vars.CUSTOM_HOSTNAME = plan.hostname;
  return {
    name: deployment.workerName,
    main: WORKER_BUNDLE,
    compatibility_date: WORKER_COMPATIBILITY_DATE,
    no_bundle: true,
    workers_dev: plan.kind === "workers-dev",
    routes: plan.kind === "zone" ? [{ pattern: routePattern(plan), zone_name: plan.zone }] : [],
    durable_objects: { bindings: [{ name: "CAPTUN_SERVER_SHARD", class_name: "CaptunServerShard" }] },
    migrations: [{ tag: "v1", new_classes: ["CaptunServerShard"] }],
    vars,
    observability: { enabled: true },
  };
}

/**
 * Writes a wrangler config for the prebuilt Worker bundle (`no_bundle`: the exact file the tests
 * and the local server run) and a 0600 secrets file, in a private temporary directory.
 */
export async function writeDeployDirectory(deployment: WorkerDeployment): Promise<DeployDirectory> {
  const config = wranglerConfig(deployment);
  const path = await mkdtemp(join(tmpdir(), "captun-deploy-"));
  const configFile = join(path, "wrangler.json");
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  let secretsFile: string | undefined;
  if (deployment.secret) {
    secretsFile = join(path, "secrets.json");
    await writeFile(secretsFile, JSON.stringify({ CONNECT_SECRET: deployment.secret }), { mode: 0o600 });
  }
  return { path, configFile, secretsFile, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}
