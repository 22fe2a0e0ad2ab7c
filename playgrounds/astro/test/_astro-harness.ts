// Test helpers for the Astro playground: a throwaway copy of the site (tests edit it), the real
// Astro dev server (its programmatic API or the `astro` CLI), a temp XDG_CONFIG_HOME, and Chromium.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { type IncomingMessage, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import type { CaptunAstroOptions } from "@captun/astro";
import { type Browser, chromium, type Page } from "playwright-core";
import type { CaptunConfig } from "../../../packages/core/src/config.ts";
import { waitFor } from "../../../packages/core/test/_harness.ts";

export const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const ASTRO_BIN = join(PLAYGROUND, "node_modules/astro/bin/astro.mjs");
const DEV_SERVER_FIXTURE = join(PLAYGROUND, "test/fixtures/dev-server.ts");

/** Astro's update check and telemetry would reach the internet: tests stay on loopback. */
export const QUIET_ASTRO_ENV = { ASTRO_TELEMETRY_DISABLED: "1", ASTRO_DISABLE_UPDATE_CHECK: "true" };

/** A copy of the playground inside its folder (so its node_modules resolve), `files` replaced, removed afterwards. */
export async function copyApp(files: Record<string, string> = {}): Promise<{ root: string } & AsyncDisposable> {
  const root = await mkdtemp(join(PLAYGROUND, ".tmp-"));
  for (const entry of ["src", "public", "astro.config.ts", "package.json", "tsconfig.json"]) {
    await cp(join(PLAYGROUND, entry), join(root, entry), { recursive: true });
  }
  for (const [path, text] of Object.entries(files)) await writeFile(join(root, path), text);
  return { root, [Symbol.asyncDispose]: () => rm(root, { recursive: true, force: true }) };
}

/** A temp `XDG_CONFIG_HOME` (captun's and Astro's config), so the user's real one is never touched. */
export async function configHome(config: CaptunConfig = {}): Promise<{ dir: string; file: string } & AsyncDisposable> {
  const dir = await mkdtemp(join(tmpdir(), "captun-astro-xdg-"));
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

/**
 * `astro dev` through Astro's programmatic API (`dev()` from "astro"), configured like the playground
 * (`integrations: [preact(), captun()]`) with captun's options given by the test.
 */
export function startAstroDev(root: string, options: CaptunAstroOptions, env: Record<string, string>): RunningCli {
  return runNode([DEV_SERVER_FIXTURE], root, { ...env, CAPTUN_ASTRO_OPTIONS: JSON.stringify(options) });
}

/** The playground's own `astro` CLI (what `pnpm dev` runs) in `cwd`. */
export function runAstroCli(cwd: string, args: string[], env: Record<string, string>): RunningCli {
  return runNode([ASTRO_BIN, ...args], cwd, env);
}

/** `node <args>` in `cwd`, outside Vitest's environment (Astro turns its dev server off under VITEST). */
function runNode(args: string[], cwd: string, env: Record<string, string>): RunningCli {
  const {
    VITEST: _vitest,
    VITEST_MODE: _mode,
    VITEST_POOL_ID: _pool,
    VITEST_WORKER_ID: _worker,
    NODE_ENV: _nodeEnv,
    ...inherited
  } = process.env;
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...inherited, ...QUIET_ASTRO_ENV, ...env, NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: "pipe",
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
    async waitForOutput(pattern, timeoutMs = 30_000) {
      await waitFor(() => pattern.test(text) || child.exitCode !== null, timeoutMs, `${pattern} in:\n${text}`);
      const match = text.match(pattern);
      if (!match) throw new Error(`astro exited (${child.exitCode}) without printing ${pattern}:\n${text}`);
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

/**
 * A GET with a chosen `Host` header, straight to a local port. undici's fetch (`visit`) drops a
 * caller's `Host`, so host-check tests need node:http.
 */
export async function getWithHost(url: string, host: string): Promise<number> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    request(url, { headers: { host } }, resolve).on("error", reject).end();
  });
  response.resume();
  return response.statusCode ?? 0;
}

/** Debian's Chromium driven by playwright-core (never a browser download). */
export async function launchChromium(): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}

/** A page that records console errors, page errors, failed requests and HTTP errors. */
export async function watchedPage(browser: Browser): Promise<{ page: Page; problems: string[] } & AsyncDisposable> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return { page, problems, [Symbol.asyncDispose]: () => context.close() };
}
