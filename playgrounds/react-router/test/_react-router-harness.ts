// Test helpers for the React Router playground: a throwaway copy of the app (tests edit it) and the
// real `react-router dev` CLI; the generic pieces live in packages/core/test/_apps.ts.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningProcess, runNode } from "../../../packages/core/test/_apps.ts";
import { copyPlayground } from "../../../packages/core/test/_preview.ts";

export { configHome, launchChromium, type RunningProcess, statusWithHost, watchedPage } from "../../../packages/core/test/_apps.ts";

export const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const REACT_ROUTER_BIN = join(PLAYGROUND, "node_modules/@react-router/dev/bin.cjs");

/** A copy of the playground inside its folder (so its node_modules resolve), `files` replaced, removed afterwards. */
export function copyApp(files: Record<string, string> = {}): Promise<{ root: string } & AsyncDisposable> {
  return copyPlayground(PLAYGROUND, ["app", "vite.config.ts", "react-router.config.ts", "package.json"], files);
}

/** `react-router dev` in `root`, as the playground's `pnpm dev` runs it. */
export function runReactRouterDev(root: string, args: string[], env: Record<string, string>): RunningProcess {
  // In its own process group: the CLI relaunches itself in a child process (`--conditions=development`).
  return runNode([REACT_ROUTER_BIN, "dev", ...args], root, env, { processGroup: true, timeoutMs: 60_000 });
}
