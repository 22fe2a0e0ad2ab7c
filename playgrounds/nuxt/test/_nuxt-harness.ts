// Test helpers for the Nuxt playground: a throwaway copy of the app (tests edit it) and the real
// `nuxt dev` CLI; the generic pieces live in packages/core/test/_apps.ts.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningProcess, runNode } from "../../../packages/core/test/_apps.ts";
import { copyPlayground } from "../../../packages/core/test/_preview.ts";

export { configHome, launchChromium, type RunningProcess, statusWithHost, watchedPage } from "../../../packages/core/test/_apps.ts";

export const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const NUXT_BIN = join(PLAYGROUND, "node_modules/nuxt/bin/nuxt.mjs");

/** Nuxt's telemetry prompt and update checks would reach the internet: tests stay on loopback. */
// Vitest sets `TEST`, which silences Nuxt's logger (std-env's isTest): a user's terminal has none.
export const QUIET_NUXT_ENV = { NUXT_TELEMETRY_DISABLED: "1", CI: "1", TEST: "" };

/** A copy of the playground inside its folder (so its node_modules resolve), `files` replaced, removed afterwards. */
export function copyApp(files: Record<string, string> = {}): Promise<{ root: string } & AsyncDisposable> {
  return copyPlayground(PLAYGROUND, ["app", "server", "nuxt.config.ts", "package.json"], files);
}

/** `nuxt dev` in `root`, as the playground's `pnpm dev` runs it (in its own process group: Nuxt forks on restart). */
export function runNuxtDev(root: string, args: string[], env: Record<string, string>): RunningProcess {
  return runNode([NUXT_BIN, "dev", ...args], root, { ...QUIET_NUXT_ENV, ...env }, { processGroup: true, timeoutMs: 90_000 });
}
