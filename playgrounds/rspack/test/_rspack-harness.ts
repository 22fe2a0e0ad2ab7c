// Test helpers for the Rspack playground: a throwaway copy of the app (tests edit it), and the real
// `rsbuild dev` and `rspack serve` CLIs; the generic pieces live in packages/core/test/_apps.ts.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningProcess, runNode } from "../../../packages/core/test/_apps.ts";
import { copyPlayground } from "../../../packages/core/test/_preview.ts";

export { configHome, launchChromium, type RunningProcess, statusWithHost, watchedPage } from "../../../packages/core/test/_apps.ts";

export const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const RSBUILD_BIN = join(PLAYGROUND, "node_modules/@rsbuild/core/bin/rsbuild.js");
const RSPACK_BIN = join(PLAYGROUND, "node_modules/@rspack/cli/bin/rspack.js");

/** A copy of the playground inside its folder (so its node_modules resolve), `files` replaced, removed afterwards. */
export function copyApp(files: Record<string, string> = {}): Promise<{ root: string } & AsyncDisposable> {
  return copyPlayground(PLAYGROUND, ["src", "dev-api.js", "rsbuild.config.js", "rspack.config.js", "package.json"], files);
}

/** `rsbuild dev` in `root`, as the playground's `pnpm dev` runs it. */
export function runRsbuildDev(root: string, args: string[], env: Record<string, string>): RunningProcess {
  return runNode([RSBUILD_BIN, "dev", ...args], root, env);
}

/** `rspack serve` in `root`, as the playground's `pnpm dev:rspack` runs it. */
export function runRspackServe(root: string, args: string[], env: Record<string, string>): RunningProcess {
  return runNode([RSPACK_BIN, "serve", ...args], root, env);
}
