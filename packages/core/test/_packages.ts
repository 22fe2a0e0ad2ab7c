// Packs the workspace's published packages the way `pnpm publish` would (workspace: ranges
// replaced), for tests that check or install the tarballs.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../..", import.meta.url));

/** The packages we publish, by folder under packages/. */
export const PUBLISHED_PACKAGES = ["core", "vite-plugin", "astro", "next", "nuxt"] as const;

/** Packs `packages/<folder>` into `destination`; resolves with the tarball's path. */
export async function packPackage(folder: (typeof PUBLISHED_PACKAGES)[number], destination: string): Promise<string> {
  const { stdout } = await run("pnpm", ["pack", "--json", "--pack-destination", destination], {
    cwd: join(repo, "packages", folder),
    maxBuffer: 16 * 1024 * 1024,
  });
  // `prepack` scripts print to the same stdout: the JSON report is the last thing pnpm writes.
  const { filename } = JSON.parse(stdout.slice(stdout.lastIndexOf("\n{") + 1)) as { filename: string };
  return filename;
}

export async function readTarball(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}

/** Runs npm (the one users have) in `cwd`; rejects with its output when it fails. */
export async function npm(cwd: string, args: string[], timeoutMs = 240_000): Promise<string> {
  try {
    const { stdout } = await run("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd,
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, npm_config_update_notifier: "false" },
    });
    return stdout;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(" ")} failed in ${cwd}:\n${stdout}${stderr}`.slice(0, 4000));
  }
}
