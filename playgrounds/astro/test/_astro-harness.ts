// Test helpers for the Astro playground: a throwaway copy of the site (tests edit it) and the real
// Astro dev server (its programmatic API or the `astro` CLI); the generic pieces live in
// packages/core/test/_apps.ts.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CaptunAstroOptions } from "@captun/astro";
import { type RunningProcess, runNode } from "../../../packages/core/test/_apps.ts";
import { copyPlayground } from "../../../packages/core/test/_preview.ts";

export { configHome, launchChromium, type RunningProcess, statusWithHost, watchedPage } from "../../../packages/core/test/_apps.ts";

export const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const ASTRO_BIN = join(PLAYGROUND, "node_modules/astro/bin/astro.mjs");
const DEV_SERVER_FIXTURE = join(PLAYGROUND, "test/fixtures/dev-server.ts");

/** Astro's update check and telemetry would reach the internet: tests stay on loopback. */
export const QUIET_ASTRO_ENV = { ASTRO_TELEMETRY_DISABLED: "1", ASTRO_DISABLE_UPDATE_CHECK: "true" };

/** A copy of the playground inside its folder (so its node_modules resolve), `files` replaced, removed afterwards. */
export function copyApp(files: Record<string, string> = {}): Promise<{ root: string } & AsyncDisposable> {
  return copyPlayground(PLAYGROUND, ["src", "public", "astro.config.ts", "package.json", "tsconfig.json"], files);
}

/**
 * `astro dev` through Astro's programmatic API (`dev()` from "astro"), configured like the playground
 * (`integrations: [preact(), captun()]`) with captun's options given by the test.
 */
export function startAstroDev(root: string, options: CaptunAstroOptions, env: Record<string, string>): RunningProcess {
  return runNode([DEV_SERVER_FIXTURE], root, { ...QUIET_ASTRO_ENV, ...env, CAPTUN_ASTRO_OPTIONS: JSON.stringify(options) });
}

/** The playground's own `astro` CLI (what `pnpm dev` runs) in `cwd`. */
export function runAstroCli(cwd: string, args: string[], env: Record<string, string>): RunningProcess {
  return runNode([ASTRO_BIN, ...args], cwd, { ...QUIET_ASTRO_ENV, ...env });
}
