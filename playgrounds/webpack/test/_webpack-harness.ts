// Test helpers for the webpack playground: a throwaway copy of the app (tests edit it) and the real
// `webpack serve` CLI; the generic pieces live in packages/core/test/_apps.ts.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningProcess, runNode } from "../../../packages/core/test/_apps.ts";
import { copyPlayground } from "../../../packages/core/test/_preview.ts";

export { configHome, launchChromium, type RunningProcess, statusWithHost, watchedPage } from "../../../packages/core/test/_apps.ts";

export const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const WEBPACK_BIN = join(PLAYGROUND, "node_modules/webpack-cli/bin/cli.js");

/** A copy of the playground inside its folder (so its node_modules resolve), `files` replaced, removed afterwards. */
export function copyApp(files: Record<string, string> = {}): Promise<{ root: string } & AsyncDisposable> {
  return copyPlayground(PLAYGROUND, ["src", "webpack.config.js", "package.json"], files);
}

/** `webpack serve` in `root`, as the playground's `pnpm dev` runs it. */
export function runWebpackServe(root: string, args: string[], env: Record<string, string>): RunningProcess {
  return runNode([WEBPACK_BIN, "serve", ...args], root, env);
}
