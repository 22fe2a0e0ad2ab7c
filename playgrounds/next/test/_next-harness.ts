// Test helpers for the Next playground: a throwaway copy of the app (tests edit its sources) and
// the real `next dev` CLI. Config homes and Chromium come from core's shared app-test helpers.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import type { RunningProcess } from "../../../packages/core/test/_apps.ts";
import { waitFor } from "../../../packages/core/test/_harness.ts";

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

/** A port free right now: `next dev` refuses `--port 0`. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** `next dev` in `root`, as `pnpm dev` runs it, with telemetry and colours off. */
export function runNextDev(root: string, args: string[], env: Record<string, string>): RunningProcess {
  // Vitest's variables would make Next think it runs under test.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VITEST") && name !== "NODE_ENV"));
  const child: ChildProcess = spawn(process.execPath, [NEXT_BIN, "dev", ...args], {
    cwd: root,
    env: { ...inherited, ...env, NEXT_TELEMETRY_DISABLED: "1", NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: "pipe",
    // Its own process group: disposal must also end the serving process Next forks.
    detached: true,
  });
  let text = "";
  const collect = (chunk: Buffer) => {
    text += stripVTControlCharacters(chunk.toString("utf8"));
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = once(child, "exit");
  return {
    child,
    output: () => text,
    async waitForOutput(pattern, timeoutMs = 60_000) {
      await waitFor(() => pattern.test(text) || child.exitCode !== null, timeoutMs, `${pattern} in:\n${text}`);
      const match = text.match(pattern);
      if (!match) throw new Error(`next dev exited (${child.exitCode}) without printing ${pattern}:\n${text}`);
      return match;
    },
    async [Symbol.asyncDispose]() {
      const { pid } = child;
      if (child.exitCode !== null || child.signalCode !== null || pid === undefined) return;
      process.kill(-pid, "SIGTERM");
      // Next runs its own cleanup on SIGTERM; one that hangs is not left behind.
      const timer = setTimeout(() => process.kill(-pid, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
