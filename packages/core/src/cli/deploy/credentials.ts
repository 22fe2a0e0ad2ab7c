import { CaptunUsageError } from "../args.ts";
import { CaptunCloudflareApiError, CODES, type Credentials, type createCloudflareApi } from "./cloudflare-api.ts";
import type { RoutingPlan } from "./routing-plan.ts";
import { needsAdvancedCertificate } from "./routing-plan.ts";
import { wranglerCredentials } from "./wrangler.ts";

/** A permission of a Cloudflare API token, as the dashboard's token editor names it. */
export type Permission =
  | "Account · Workers Scripts · Edit"
  | "Zone · Workers Routes · Edit"
  | "Zone · Zone · Read"
  | "Zone · DNS · Edit"
  | "Zone · SSL and Certificates · Edit";

/** What a token needs for a routing option. */
export function permissionsFor(plan: RoutingPlan): Permission[] {
  if (plan.kind === "workers-dev") return ["Account · Workers Scripts · Edit"];
  return [
    "Account · Workers Scripts · Edit",
    "Zone · Workers Routes · Edit",
    "Zone · Zone · Read",
    "Zone · DNS · Edit",
    ...(needsAdvancedCertificate(plan) ? (["Zone · SSL and Certificates · Edit"] as const) : []),
  ];
}

/**
 * The credentials wrangler would use, in wrangler's order: `CLOUDFLARE_API_TOKEN`, then
 * `CLOUDFLARE_API_KEY` + `CLOUDFLARE_EMAIL` (the Global API Key), then a `wrangler login`.
 */
export async function resolveCredentials(env: NodeJS.ProcessEnv, cwd: string): Promise<Credentials> {
  if (env.CLOUDFLARE_API_TOKEN) return { kind: "token", token: env.CLOUDFLARE_API_TOKEN, source: "env" };
  if (env.CLOUDFLARE_API_KEY || env.CLOUDFLARE_EMAIL) {
    if (!env.CLOUDFLARE_API_KEY || !env.CLOUDFLARE_EMAIL) {
      throw new CaptunUsageError(
        `CLOUDFLARE_API_KEY needs CLOUDFLARE_EMAIL too (the Global API Key works only with the account's email; ${env.CLOUDFLARE_API_KEY ? "CLOUDFLARE_EMAIL" : "CLOUDFLARE_API_KEY"} is not set). An API token in CLOUDFLARE_API_TOKEN is the safer choice.`,
      );
    }
    return { kind: "key", key: env.CLOUDFLARE_API_KEY, email: env.CLOUDFLARE_EMAIL };
  }
  const fromWrangler = await wranglerCredentials(env, cwd);
  if (fromWrangler) return fromWrangler;
  throw new CaptunUsageError(
    "No Cloudflare credentials found. Run `npx wrangler login` once (enough for workers.dev), or set CLOUDFLARE_API_TOKEN (zone routes, CI and other non-interactive shells), then run captun deploy again.",
  );
}

/**
 * Checks the credentials are live before anything is read for the plan: API tokens through
 * token-verify, the Global API Key through the user endpoint. A `wrangler login` token is
 * checked by the reads that follow (OAuth tokens cannot be verified).
 */
export async function verifyCredentials(api: ReturnType<typeof createCloudflareApi>): Promise<void> {
  const { credentials } = api;
  try {
    if (credentials.kind === "key") {
      await api.user();
      return;
    }
    if (credentials.source !== "env") return;
    const token = await api.verifyToken().catch(async (error: unknown) => {
      // Account-owned tokens verify under /accounts/<id>/tokens/verify, not /user: one that can list
      // its account is live.
      if (error instanceof CaptunCloudflareApiError && error.status === 401 && (await api.accounts().catch(() => [])).length > 0)
        return { status: "active" };
      throw error;
    });
    if (token.status !== "active") {
      throw new CaptunUsageError(`CLOUDFLARE_API_TOKEN is ${token.status}. Create a new token (${TOKENS_PAGE}) and set it.`);
    }
  } catch (error) {
    if (!(error instanceof CaptunCloudflareApiError)) throw error;
    const what = credentials.kind === "key" ? "CLOUDFLARE_API_KEY / CLOUDFLARE_EMAIL are" : "CLOUDFLARE_API_TOKEN is";
    throw new CaptunUsageError(`Cloudflare does not accept these credentials: ${what} not valid (${error.message}).`);
  }
}

export const TOKENS_PAGE = "https://dash.cloudflare.com/profile/api-tokens";

/** Thrown when a read the plan needs answered 403: says which token to create, and how to pass it. */
export function missingPermissionsError(
  plan: RoutingPlan,
  credentials: Credentials,
  refused: { call: string; permission: Permission }[],
  commandLine: string,
): CaptunUsageError {
  const zone = plan.kind === "zone" ? plan.zone : undefined;
  const lines = [
    "These Cloudflare credentials may not do what this needs; nothing was changed.",
    ...refused.map(({ call, permission }) => `  ${call} was refused (403): needs ${permission}`),
  ];
  if (credentials.kind === "token" && credentials.source === "wrangler-login") {
    lines.push("A `wrangler login` cannot grant DNS or edge-certificate permissions; zone routes need an API token.");
  }
  lines.push(
    `Create an API token at ${TOKENS_PAGE} → Create Token → Create Custom Token, with the permissions:`,
    ...permissionsFor(plan).map((permission) => `    ${permission}`),
    `  Account Resources: Include · your account${zone ? `; Zone Resources: Include · Specific zone · ${zone}` : ""}.`,
    `Then run: CLOUDFLARE_API_TOKEN=<the token> ${commandLine}`,
  );
  return new CaptunUsageError(lines.join("\n"));
}

/** The permission an API call needs, by the resource its path names. */
export function permissionForCall(call: string): Permission {
  if (call.includes("/dns_records")) return "Zone · DNS · Edit";
  if (call.includes("/ssl/")) return "Zone · SSL and Certificates · Edit";
  if (/\/zones\/[^/]+\/workers\/routes|\/routes$/.test(call)) return "Zone · Workers Routes · Edit";
  if (/^GET \/zones/.test(call)) return "Zone · Zone · Read";
  return "Account · Workers Scripts · Edit";
}

/** A 403 for a missing permission (code 10000), as opposed to any other failure. */
export function isForbidden(error: unknown): error is CaptunCloudflareApiError {
  return error instanceof CaptunCloudflareApiError && error.status === 403 && error.codes.includes(CODES.forbidden);
}

/** Runs a read the plan needs; a 403 is collected (to name the missing permission) instead of thrown. */
export async function probe<T>(
  refused: { call: string; permission: Permission }[],
  permission: Permission,
  read: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isForbidden(error)) {
      refused.push({ call: error.call, permission });
      return undefined;
    }
    throw error;
  }
}
