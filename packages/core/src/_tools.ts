// The heavy tools behind `captun server` (Miniflare, with workerd's ~100 MB binary) and `captun
// deploy` (wrangler) are not dependencies of `captun`: a dev-server plugin should cost a few MB.
// They are loaded on first use, at the exact version captun was tested with — its devDependencies
// pin, the one source of truth (not a peer range: an exact optional peer makes `npm i` fail with
// ERESOLVE in any project that has another wrangler). The user's own copy is used when it is that
// version; otherwise npm installs the pinned one once into captun's cache.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import pc from "picocolors";
import { CaptunError } from "./errors.ts";

/** The tools captun loads on demand. */
export type ToolName = "miniflare" | "wrangler";

/** A tool could not be found or installed; the message says what to install by hand. */
export class CaptunToolError extends CaptunError {
  override name = "CaptunToolError";
}

/** The version of `name` captun was tested with, from its own package.json. */
export function pinnedVersion(name: ToolName): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; devDependencies?: Record<string, string> };
      const version = pkg.name === "captun" ? pkg.devDependencies?.[name] : undefined;
      if (version) return version;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new CaptunToolError(`captun's package.json does not pin ${name}; reinstall captun`);
    dir = parent;
  }
}

/** Where on-demand tools live: `$CAPTUN_TOOLS_DIR`, else `$XDG_CACHE_HOME/captun/tools`, else `~/.cache/captun/tools`. */
export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CAPTUN_TOOLS_DIR || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "captun", "tools");
}

/** The installed package directory of `name` seen from `from`, if it is exactly `version`. */
function exactCopy(name: ToolName, version: string, from: string): string | undefined {
  try {
    const manifest = createRequire(join(from, "noop.js")).resolve(`${name}/package.json`);
    const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { version?: string };
    return pkg.version === version ? dirname(manifest) : undefined;
  } catch {
    return undefined; // not installed there
  }
}

const installs = new Map<string, Promise<string>>();

/** For tests: another version, working directory or environment than this process's. */
export interface ToolOptions {
  /** @default the pinned version */
  version?: string;
  /** @default process.cwd() */
  cwd?: string;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * The package directory of the pinned `name`: the project's own copy (from the working directory
 * or from where captun is installed) when it is exactly the pinned version, else the cached copy,
 * installed on first use with one progress line. `purpose` names the command, for messages.
 */
export function toolDir(name: ToolName, purpose: string, options: ToolOptions = {}): Promise<string> {
  const { version = pinnedVersion(name), cwd = process.cwd(), env = process.env } = options;
  const own = exactCopy(name, version, cwd) ?? exactCopy(name, version, dirname(fileURLToPath(import.meta.url)));
  if (own) return Promise.resolve(own);
  const prefix = join(toolsDir(env), `${name}@${version}`);
  const cached = exactCopy(name, version, prefix);
  if (cached) return Promise.resolve(cached);
  let install = installs.get(prefix);
  if (!install) {
    install = installTool(name, version, prefix, purpose, env).finally(() => installs.delete(prefix));
    installs.set(prefix, install);
  }
  return install;
}

/** Imports the pinned Miniflare (CommonJS; Node exposes its named exports). */
export async function importMiniflare(purpose: string): Promise<typeof import("miniflare")> {
  const dir = await toolDir("miniflare", purpose);
  const entry = createRequire(join(dir, "package.json")).resolve("miniflare");
  return (await import(pathToFileURL(entry).href)) as typeof import("miniflare");
}

/** The pinned wrangler's CLI script, to run with `node`. */
export async function wranglerScript(purpose: string): Promise<string> {
  return join(await toolDir("wrangler", purpose), "bin", "wrangler.js");
}

async function installTool(name: ToolName, version: string, prefix: string, purpose: string, env: NodeJS.ProcessEnv): Promise<string> {
  const spec = `${name}@${version}`;
  process.stderr.write(`${pc.cyan("◇")} installing ${spec} for \`${purpose}\` (one time, into ${prefix})…\n`);
  // Install beside the final folder and rename, so a concurrent captun never sees half a tree.
  const staging = `${prefix}.${process.pid}.${Date.now()}.tmp`;
  await mkdir(staging, { recursive: true });
  try {
    await npm(["install", spec, "--prefix", staging, "--no-save", "--no-audit", "--no-fund", "--loglevel=error"], spec, env);
    if (!exactCopy(name, version, staging)) throw new CaptunToolError(`npm finished but ${spec} is not in ${staging}`);
    await rename(staging, prefix).catch((error: NodeJS.ErrnoException) => {
      // Another captun installed it meanwhile: use theirs.
      if (!exactCopy(name, version, prefix)) throw error;
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CaptunToolError(
      `could not install ${spec}, which \`${purpose}\` needs: ${reason}\n` +
        `Install it by hand in your project (\`npm i -D ${spec}\`), or run this again once the npm registry is reachable.`,
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const installed = exactCopy(name, version, prefix);
  if (!installed) throw new CaptunToolError(`${spec} vanished from ${prefix}; run the command again`);
  return installed;
}

/** Runs npm with an argv array: through the npm that started us (npx) when known, else `npm` on PATH. */
function npm(args: string[], spec: string, env: NodeJS.ProcessEnv): Promise<void> {
  const npmCli = env.npm_execpath;
  const [command, argv] = npmCli && /npm-cli\.c?js$/.test(npmCli) ? [process.execPath, [npmCli, ...args]] : ["npm", args];
  const child = spawn(command, argv, { stdio: ["ignore", "ignore", "pipe"], env });
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-2_000);
  });
  return new Promise((resolve, reject) => {
    child.once("error", (error) => reject(new Error(`could not run npm (${error.message})`)));
    child.once("close", (code) => {
      if (code === 0) return resolve();
      const tail = output.trim().split("\n").slice(-6).join("\n");
      reject(new Error(`\`npm install ${spec}\` exited with ${code}${tail ? `:\n${tail}` : ""}`));
    });
  });
}
