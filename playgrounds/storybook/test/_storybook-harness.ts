// Test helpers for the Storybook playground: a throwaway copy of it (tests edit stories) and the real
// `storybook dev` CLI; the generic pieces live in packages/core/test/_apps.ts.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningProcess, runNode } from "../../../packages/core/test/_apps.ts";
import { copyPlayground } from "../../../packages/core/test/_preview.ts";

export { configHome, launchChromium, type RunningProcess, statusWithHost, watchedPage } from "../../../packages/core/test/_apps.ts";

export const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const STORYBOOK_BIN = join(PLAYGROUND, "node_modules/storybook/dist/bin/dispatcher.js");

/** A copy of the playground inside its folder (so its node_modules resolve), removed afterwards. */
export function copyApp(): Promise<{ root: string } & AsyncDisposable> {
  return copyPlayground(PLAYGROUND, [".storybook", "src", "vite.config.ts", "package.json"]);
}

/** `storybook dev` in `root`, as the playground's `pnpm dev` runs it (no browser, no telemetry, no update check). */
export function runStorybookDev(root: string, args: string[], env: Record<string, string>): RunningProcess {
  // A wide terminal: Storybook cuts log lines to its width, URLs included.
  return runNode(
    [STORYBOOK_BIN, "dev", "--ci", "--no-open", "--disable-telemetry", ...args],
    root,
    { STORYBOOK_DISABLE_TELEMETRY: "1", COLUMNS: "400", ...env },
    { processGroup: true, timeoutMs: 90_000 },
  );
}
