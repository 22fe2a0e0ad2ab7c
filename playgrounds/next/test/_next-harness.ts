// Test helpers for the Next playground: a throwaway copy of the app (tests edit its sources) and
// the real `next dev` CLI. Config homes and Chromium come from core's shared app-test helpers.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningProcess, runNode } from "../../../packages/core/test/_apps.ts";

export { freePort } from "../../../packages/core/test/_apps.ts";

export const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const NEXT_BIN = join(PLAYGROUND, "node_modules/next/dist/bin/next");
const APP_ENTRIES = ["app", "pages", "proxy.ts", "next.config.ts", "package.json", "tsconfig.json", "env.d.ts"];

/** A copy of the playground inside the playground folder, so its node_modules resolve. */
export async function copyApp(): Promise<{ root: string } & AsyncDisposable> {
  const root = await mkdtemp(join(PLAYGROUND, ".tmp-"));
  for (const entry of APP_ENTRIES) await cp(join(PLAYGROUND, entry), join(root, entry), { recursive: true });
  // One folder deeper: the shared base config is one more `..` away.
  const tsconfig = join(root, "tsconfig.json");
  await writeFile(tsconfig, (await readFile(tsconfig, "utf8")).replace('"../../tsconfig.base.json"', '"../../../tsconfig.base.json"'));
  return { root, [Symbol.asyncDispose]: () => rm(root, { recursive: true, force: true }) };
}

/** `next dev` in `root`, as `pnpm dev` runs it, with telemetry and colours off. */
export function runNextDev(root: string, args: string[], env: Record<string, string>): RunningProcess {
  return runNode([NEXT_BIN, "dev", ...args], root, { ...env, NEXT_TELEMETRY_DISABLED: "1" }, { processGroup: true, timeoutMs: 60_000 });
}
