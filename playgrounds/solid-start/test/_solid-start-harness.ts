// Test helpers for the SolidStart playground: a throwaway copy of the app (tests edit it) and the
// real `vite dev` CLI with SolidStart's plugin; the generic pieces live in packages/core/test/_apps.ts.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningProcess, runNode } from "../../../packages/core/test/_apps.ts";
import { copyPlayground } from "../../../packages/core/test/_preview.ts";

export { configHome, launchChromium, type RunningProcess, statusWithHost, watchedPage } from "../../../packages/core/test/_apps.ts";

export const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const VITE_BIN = join(PLAYGROUND, "node_modules/vite/bin/vite.js");

/** A copy of the playground inside its folder (so its node_modules resolve), `files` replaced, removed afterwards. */
export function copyApp(files: Record<string, string> = {}): Promise<{ root: string } & AsyncDisposable> {
  return copyPlayground(PLAYGROUND, ["src", "vite.config.ts", "package.json"], files);
}

/** `vite dev` in `root`, as the playground's `pnpm dev` runs it. */
export function runViteDev(root: string, args: string[], env: Record<string, string>): RunningProcess {
  return runNode([VITE_BIN, "dev", ...args], root, env, { timeoutMs: 60_000 });
}
