import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import type { DeploymentRecord } from "./cli/deploy/deployment-record.ts";
import type { RoutingMode } from "./routing.ts";

/** What `captun deploy` / `captun server` remember, in `$XDG_CONFIG_HOME/captun/config.json`. */
export interface CaptunConfig {
  /** Where the captun server is reached, e.g. `https://captun.me.workers.dev`. */
  serverUrl?: string;
  /** The server's connect secret. */
  secret?: string;
  routing?: RoutingMode;
  /** Under subdomain routing: the zone tunnels live under. */
  customHostname?: string;
  /** Stable tunnel names per project directory, so a dev server keeps its URL across restarts. */
  projects?: Record<string, string>;
  /**
   * The last `captun server` on this machine, kept apart from the deployed server so running one
   * never overwrites the other. Used when no deployed server is configured.
   */
  local?: { serverUrl: string; secret: string; customHostname?: string };
  /** What `captun deploy` created on Cloudflare; `captun undeploy` removes exactly that. */
  deployment?: DeploymentRecord;
}

/** Which captun server a client should use, and where that answer came from. */
export interface ServerSettings {
  serverUrl: string;
  secret: string | undefined;
  /** Set under subdomain routing: tunnels live at `<name>.<customHostname>`. */
  customHostname: string | undefined;
  source: "flags" | "env" | "config" | "local";
}

/** `$XDG_CONFIG_HOME/captun/config.json`, defaulting to `~/.config`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "captun", "config.json");
}

export async function readConfig(path = configPath()): Promise<CaptunConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${path} is not a JSON object. Fix or delete it, then run \`captun deploy\` or \`captun server\` again.`);
  }
  return parsed as CaptunConfig;
}

/**
 * Picks the server: explicit values first, then `CAPTUN_SERVER_URL` / `CAPTUN_SECRET` /
 * `CAPTUN_CUSTOM_HOSTNAME`, then the deployed server in the config, then the last local server.
 * The secret follows the same order on its own: `CAPTUN_SECRET` also overrides a saved secret.
 * A server URL of the form `https://*.example.com` means subdomain routing under `example.com`.
 * Returns `undefined` when nothing is configured.
 */
export function resolveServerSettings(
  config: CaptunConfig,
  explicit: { serverUrl?: string; secret?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): ServerSettings | undefined {
  const deployed = config.serverUrl
    ? {
        serverUrl: config.serverUrl,
        secret: config.secret,
        customHostname: config.routing === "folder" ? undefined : config.customHostname,
      }
    : undefined;
  if (explicit.serverUrl) {
    // A server URL that matches a saved one reuses its secret and routing.
    const known = [deployed, config.local].find((saved) => saved && sameServer(saved.serverUrl, explicit.serverUrl!));
    const settings = settingsFor(explicit.serverUrl, known?.customHostname, "flags");
    return { ...settings, secret: explicit.secret ?? (env.CAPTUN_SECRET || undefined) ?? known?.secret };
  }
  if (env.CAPTUN_SERVER_URL) {
    const settings = settingsFor(env.CAPTUN_SERVER_URL, env.CAPTUN_CUSTOM_HOSTNAME || undefined, "env");
    return { ...settings, secret: explicit.secret ?? env.CAPTUN_SECRET };
  }
  const saved = deployed ?? config.local;
  if (!saved) return undefined;
  const settings = settingsFor(saved.serverUrl, saved.customHostname, deployed ? "config" : "local");
  return { ...settings, secret: explicit.secret ?? (env.CAPTUN_SECRET || undefined) ?? saved.secret };
}

function settingsFor(
  serverUrl: string,
  customHostname: string | undefined,
  source: ServerSettings["source"],
): Omit<ServerSettings, "secret"> {
  const wildcard = /^(https?:\/\/)\*\.(.+)$/i.exec(serverUrl);
  const url = parseServerUrl(wildcard ? `${wildcard[1]}${wildcard[2]}` : serverUrl);
  return {
    serverUrl: url.origin + url.pathname.replace(/\/$/, ""),
    customHostname: wildcard ? url.hostname : customHostname,
    source,
  };
}

function sameServer(a: string, b: string): boolean {
  return a.replace(/\/$/, "") === b.replace(/\/$/, "");
}

function parseServerUrl(serverUrl: string): URL {
  try {
    const url = new URL(serverUrl);
    if (url.protocol === "http:" || url.protocol === "https:") return url;
  } catch {
    // not a URL at all: same answer as a wrong scheme
  }
  throw new Error(`"${serverUrl}" is not a captun server URL: use e.g. https://captun.me.workers.dev or https://*.tunnels.example.com.`);
}

/** Merges `patch` into the config file atomically, readable only by the user (mode 0600). */
export async function updateConfig(patch: Partial<CaptunConfig>, path = configPath()): Promise<CaptunConfig> {
  const next = { ...(await readConfig(path)), ...patch };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
  return next;
}

/** Shows enough of a secret to recognise it, never all of it. */
export function maskSecret(secret: string): string {
  return secret.length <= 8 ? "••••" : `${secret.slice(0, 4)}…${secret.slice(-2)}`;
}
