import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
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
  try {
    return JSON.parse(text) as CaptunConfig;
  } catch {
    throw new Error(`${path} is not valid JSON. Fix or delete it, then run \`captun deploy\` or \`captun server\` again.`);
  }
}

/** Merges `patch` into the config file atomically, readable only by the user (mode 0600). */
export async function updateConfig(patch: Partial<CaptunConfig>, path = configPath()): Promise<CaptunConfig> {
  const next = { ...(await readConfig(path)), ...patch };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
  return next;
}

/** Shows enough of a secret to recognise it, never all of it. */
export function maskSecret(secret: string): string {
  return secret.length <= 8 ? "••••" : `${secret.slice(0, 4)}…${secret.slice(-2)}`;
}
