// Test helpers for the Vite playground: a throwaway copy of the app (so tests can edit sources) and
// the real `vite` CLI; the generic pieces live in packages/core/test/_apps.ts.
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningProcess, runNode } from "../../../packages/core/test/_apps.ts";

export { configHome, launchChromium, runNode, watchedPage } from "../../../packages/core/test/_apps.ts";
export type RunningCli = RunningProcess;

export const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const VITE_BIN = join(PLAYGROUND, "node_modules/vite/bin/vite.js");

/** A copy of the playground (or of `files`) inside the playground folder, so its node_modules resolve. */
export async function copyApp(files?: Record<string, string>): Promise<{ root: string } & AsyncDisposable> {
  const root = await mkdtemp(join(PLAYGROUND, ".tmp-"));
  if (files) {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(root, path, ".."), { recursive: true });
      await writeFile(join(root, path), text);
    }
  } else {
    for (const entry of ["index.html", "src", "public", "vite.config.ts", "dev-api.ts", "package.json"]) {
      await cp(join(PLAYGROUND, entry), join(root, entry), { recursive: true });
    }
  }
  return { root, [Symbol.asyncDispose]: () => rm(root, { recursive: true, force: true }) };
}

/** The project's own `vite` CLI, as `pnpm dev` runs it. */
export function runVite(root: string, args: string[], env: Record<string, string>): RunningCli {
  return runNode([VITE_BIN, ...args], root, env);
}
