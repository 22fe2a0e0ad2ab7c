import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { AccessPolicy } from "../access-policy.ts";
import { type CaptunConfig, configPath, readConfig, resolveServerSettings, type ServerSettings, updateConfig } from "../config.ts";
import { canonicalizeTunnelName, type RoutingMode, tunnelUrlFor } from "../routing.ts";
import { devAccessPolicy, devShareUrl } from "./access.ts";
import type { CaptunDevOptions } from "./options.ts";

/** Everything a dev server needs to know about its tunnel before it reads its own config. */
export interface DevTunnelSettings {
  name: string;
  serverUrl: string;
  secret: string | undefined;
  routing: RoutingMode;
  customHostname: string | undefined;
  /** The public URL of the tunnel, without a trailing slash. */
  tunnelUrl: string;
  /** The only hostname visitors use: the one to allow in the dev server's host check. */
  publicHostname: string;
  /** `/<name>` under folder routing (the app runs below it), `""` under subdomain routing. */
  pathPrefix: string;
  /** Who may open the public URL (docs/access.md). */
  access: AccessPolicy;
  /** The URL to print: the owner's share link, or the public URL with a trailing slash when public. */
  shareUrl: string;
}

/** Why no tunnel can be set up, worded as what the user should do. */
export interface DevTunnelProblem {
  problem: string;
}

const SETUP_HINT =
  "Run `npx captun server` (local, no account) or `npx captun deploy` (your Cloudflare account), or pass `serverUrl` and `secret` to captun().";

/**
 * Settles name, server and public URL from the options, the environment and the saved config.
 * Generates and saves a stable name for `root` the first time.
 */
export async function resolveDevTunnelSettings(
  options: CaptunDevOptions,
  root: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DevTunnelSettings | DevTunnelProblem> {
  const path = options.configPath ?? configPath(env);
  let saved: CaptunConfig;
  try {
    saved = await readConfig(path);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  let server: ServerSettings | undefined;
  try {
    server = resolveServerSettings(saved, { serverUrl: options.serverUrl, secret: options.secret }, env);
  } catch (error) {
    return { problem: `${(error as Error).message} Fix \`serverUrl\` or CAPTUN_SERVER_URL.` };
  }
  if (!server) return { problem: `No captun server is configured. ${SETUP_HINT}` };
  const configuredHostname = options.customHostname ?? server.customHostname;
  const routing = options.routing ?? (configuredHostname ? "subdomain" : "folder");
  const customHostname = routing === "subdomain" ? (configuredHostname ?? new URL(server.serverUrl).hostname) : undefined;

  let name: string;
  const requested = options.name ?? env.CAPTUN_NAME;
  if (requested !== undefined) {
    const canonical = canonicalizeTunnelName(requested);
    if (!canonical) {
      return {
        problem: `The tunnel name ${JSON.stringify(requested)} is not a DNS label: use a-z, 0-9 and inner dashes, up to 63 characters.`,
      };
    }
    name = canonical;
  } else {
    name = await projectTunnelName(resolve(root), path);
  }
  let tunnelUrl: string;
  try {
    tunnelUrl = tunnelUrlFor(server.serverUrl, name, customHostname);
  } catch {
    return {
      problem: `Subdomain routing needs a custom hostname to put "${name}" under (${JSON.stringify(customHostname)} does not work). Set \`customHostname\` or CAPTUN_CUSTOM_HOSTNAME, or use \`routing: "folder"\`.`,
    };
  }
  let access: AccessPolicy;
  try {
    access = devAccessPolicy(options, env);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  return {
    name,
    serverUrl: server.serverUrl,
    secret: server.secret,
    routing,
    customHostname,
    tunnelUrl,
    publicHostname: new URL(tunnelUrl).hostname,
    pathPrefix: routing === "folder" ? `/${name}` : "",
    access,
    shareUrl: await devShareUrl(tunnelUrl, name, server.secret, access),
  };
}

/** The project's tunnel name from the config's `projects`, generated (64 random bits) and saved on first use. */
export async function projectTunnelName(root: string, path: string): Promise<string> {
  const saved = await readConfig(path);
  const existing = saved.projects?.[root];
  if (existing && canonicalizeTunnelName(existing)) return existing;
  const name = `${await projectSlug(root)}-${randomBytes(8).readBigUInt64BE().toString(36)}`;
  // Re-read right before writing so two projects starting at once keep both names.
  const latest = await readConfig(path);
  await updateConfig({ projects: { ...latest.projects, [root]: name } }, path);
  return name;
}

async function projectSlug(root: string): Promise<string> {
  let label = basename(root);
  try {
    const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { name?: unknown };
    if (typeof pkg.name === "string" && pkg.name) label = pkg.name.replace(/^@[^/]*\//, "");
  } catch {
    // No readable package.json: the folder name will do.
  }
  const slug = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 24)
    .replace(/-+$/, "");
  return slug || "app";
}
