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
export const PUBLISHED_PACKAGES = ["core", "vite-plugin", "astro", "next"] as const;

/** Packs `packages/<folder>` into `destination`; resolves with the tarball's path. */
export async function packPackage(folder: (typeof PUBLISHED_PACKAGES)[number], destination: string): Promise<string> {
  const { stdout } = await run("pnpm", ["pack", "--json", "--pack-destination", destination], {
    cwd: join(repo, "packages", folder),
    maxBuffer: 16 * 1024 * 1024,
  });
  const { filename } = JSON.parse(stdout) as { filename: string };
  return filename;
}

export async function readTarball(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}
