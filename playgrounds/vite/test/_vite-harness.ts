// Test helpers for the Vite playground: a throwaway copy of the app (so tests can edit sources),
// the real `vite` CLI as a child process, a captun config in a temp XDG_CONFIG_HOME, and Chromium.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";
import type { CaptunConfig } from "../../../packages/core/src/config.ts";
import { waitFor } from "../../../packages/core/test/_harness.ts";

export const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const VITE_BIN = join(PLAYGROUND, "node_modules/vite/bin/vite.js");

/** A copy of the playground (or of `files`) inside the playground folder, so its node_modules resolve. */
export async function copyApp(files?: Record<string, string>): Promise<{ root: string } & AsyncDisposable> {
  const root = await mkdtemp(join(PLAYGROUND, ".tmp-"));
  if (files) {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(root, path, ".."), { recursive: true });
      await writeFile(join(root, path), text);
    }
  } else {
    for (const entry of ["index.html", "src", "public", "vite.config.ts", "dev-api.ts", "package.json"]) {
      await cp(join(PLAYGROUND, entry), join(root, entry), { recursive: true });
    }
  }
  return { root, [Symbol.asyncDispose]: () => rm(root, { recursive: true, force: true }) };
}

/** A temp `XDG_CONFIG_HOME` holding a captun config, so the user's real one is never read. */
export async function configHome(config: CaptunConfig): Promise<{ dir: string; file: string } & AsyncDisposable> {
  const dir = await mkdtemp(join(tmpdir(), "captun-vite-xdg-"));
  const file = join(dir, "captun", "config.json");
  await mkdir(join(dir, "captun"), { recursive: true });
  await writeFile(file, JSON.stringify(config));
  return { dir, file, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

export interface RunningCli extends AsyncDisposable {
  child: ChildProcess;
  /** Everything printed so far, without colours. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Runs `node <args>` in `cwd` with `env` added, collecting its output. */
export function runNode(args: string[], cwd: string, env: Record<string, string>): RunningCli {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env, NO_COLOR: "1", FORCE_COLOR: "0" }, stdio: "pipe" });
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
    async waitForOutput(pattern, timeoutMs = 30_000) {
      await waitFor(() => pattern.test(text) || child.exitCode !== null, timeoutMs, `${pattern} in:\n${text}`);
      const match = text.match(pattern);
      if (!match) throw new Error(`the process exited (${child.exitCode}) without printing ${pattern}:\n${text}`);
      return match;
    },
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

/** The project's own `vite` CLI, as `pnpm dev` runs it. */
export function runVite(root: string, args: string[], env: Record<string, string>): RunningCli {
  return runNode([VITE_BIN, ...args], root, env);
}

/** Debian's Chromium driven by playwright-core (never a browser download). */
export async function launchChromium(): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}

/** A page that records console errors and failed requests. */
export async function watchedPage(browser: Browser): Promise<{ page: Page; problems: string[] } & AsyncDisposable> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    // An EventSource still open when the test navigates away is cancelled, not failed.
    if (request.failure()?.errorText === "net::ERR_ABORTED" && request.url().includes("/api/time")) return;
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return { page, problems, [Symbol.asyncDispose]: () => context.close() };
}
