// Test helpers for the Nuxt playground: a throwaway copy of the app (tests edit it) and the real
// `nuxt dev` CLI; the generic pieces live in packages/core/test/_apps.ts.
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningProcess, runNode } from "../../../packages/core/test/_apps.ts";

export { configHome, launchChromium, type RunningProcess, statusWithHost, watchedPage } from "../../../packages/core/test/_apps.ts";

export const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const NUXT_BIN = join(PLAYGROUND, "node_modules/nuxt/bin/nuxt.mjs");

/** Nuxt's telemetry prompt and update checks would reach the internet: tests stay on loopback. */
// Vitest sets `TEST`, which silences Nuxt's logger (std-env's isTest): a user's terminal has none.
export const QUIET_NUXT_ENV = { NUXT_TELEMETRY_DISABLED: "1", CI: "1", TEST: "" };

/** A copy of the playground inside its folder (so its node_modules resolve), `files` replaced, removed afterwards. */
export async function copyApp(files: Record<string, string> = {}): Promise<{ root: string } & AsyncDisposable> {
  const root = await mkdtemp(join(PLAYGROUND, ".tmp-"));
  for (const entry of ["app", "server", "nuxt.config.ts", "package.json"]) {
    await cp(join(PLAYGROUND, entry), join(root, entry), { recursive: true });
  }
  for (const [path, text] of Object.entries(files)) await writeFile(join(root, path), text);
  return { root, [Symbol.asyncDispose]: () => rm(root, { recursive: true, force: true }) };
}

/** `nuxt dev` in `root`, as the playground's `pnpm dev` runs it (in its own process group: Nuxt forks on restart). */
export function runNuxtDev(root: string, args: string[], env: Record<string, string>): RunningProcess {
  return runNode([NUXT_BIN, "dev", ...args], root, { ...QUIET_NUXT_ENV, ...env }, { processGroup: true, timeoutMs: 90_000 });
}
