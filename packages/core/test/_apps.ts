// Helpers for tests that run real apps: a dev server as a child process, a throwaway captun config,
// requests with a chosen Host, and Debian's Chromium through playwright-core.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { type IncomingMessage, request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, delimiter, dirname, join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { type Browser, chromium, type Page, type Request as PageRequest } from "playwright-core";
import type { CaptunConfig } from "../src/config.ts";
import { waitFor } from "./_harness.ts";

/** A temp `XDG_CONFIG_HOME` holding a captun config, so the user's real one is never read. */
export async function configHome(config: CaptunConfig = {}): Promise<{ dir: string; file: string } & AsyncDisposable> {
  const dir = await mkdtemp(join(tmpdir(), "captun-xdg-"));
  const file = join(dir, "captun", "config.json");
  await mkdir(join(dir, "captun"), { recursive: true });
  await writeFile(file, JSON.stringify(config));
  return { dir, file, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Saves a source file the way editors do, in one step (write a sibling, then rename). A plain
 * `writeFile` truncates first, and a dev server's watcher can pick up the empty file in between.
 */
export async function editFile(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, path);
}

export interface RunningProcess extends AsyncDisposable {
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr), without colours. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects if the process exits first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

export interface RunNodeOptions {
  /**
   * Run it in its own process group and stop the whole group (SIGKILL after 10 s), for CLIs
   * that fork the process doing the work (`next dev`).
   * @default false
   */
  processGroup?: boolean;
  /** Default deadline of `waitForOutput`. @default 30_000 */
  timeoutMs?: number;
}

/**
 * `node <args>` in `cwd`, as a user's terminal would run it: Vitest's own variables are removed
 * (Astro turns its dev server off under `VITEST`; Next thinks it runs under test) and colours are off.
 */
export function runNode(args: string[], cwd: string, env: Record<string, string> = {}, options: RunNodeOptions = {}): RunningProcess {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VITEST") && name !== "NODE_ENV"));
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...inherited, ...env, NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: "pipe",
    detached: options.processGroup ?? false,
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
    async waitForOutput(pattern, timeoutMs = options.timeoutMs ?? 30_000) {
      await waitFor(() => pattern.test(text) || child.exitCode !== null, timeoutMs, `${pattern} in:\n${text}`);
      const match = text.match(pattern);
      if (!match) throw new Error(`the process exited (${child.exitCode}) without printing ${pattern}:\n${text}`);
      return match;
    },
    async [Symbol.asyncDispose]() {
      const { pid } = child;
      if (child.exitCode !== null || child.signalCode !== null || pid === undefined) return;
      if (!options.processGroup) {
        child.kill("SIGTERM");
        await exited;
        return;
      }
      process.kill(-pid, "SIGTERM");
      // A group that does not stop after its own cleanup is not left behind.
      const timer = setTimeout(() => process.kill(-pid, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port free right now, for servers that refuse `--port 0` (`next dev`). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A GET with a chosen `Host` header. undici's fetch silently drops a caller's `Host`; node:http does not. */
export async function statusWithHost(url: string, host: string): Promise<number> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    request(url, { headers: { host } }, resolve).on("error", reject).end();
  });
  response.resume();
  return response.statusCode ?? 0;
}

const CHROMIUM_NAMES = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];

/** `CHROMIUM_PATH`, else the first Chromium or Chrome on `PATH`, else Debian's path. */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    for (const name of CHROMIUM_NAMES) {
      const candidate = join(dir, name);
      if (dir && existsSync(candidate)) return candidate;
    }
  }
  return "/usr/bin/chromium";
}

/** A system Chromium driven by playwright-core (never a browser download). */
export async function launchChromium(): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}

export interface WatchedPageOptions {
  /** Problems to disregard, e.g. an EventSource cancelled when the test navigates away. */
  ignore?: (problem: string) => boolean;
}

/** The pages of `watchedPage` not disposed yet, with their requests still in flight, for failure reports. */
const openPages = new Set<{ page: Page; inFlight: Map<string, number>; console: string[] }>();

/** What the open watched pages still wait for, and what they logged last: a timed-out browser test prints it to say what hung. */
export function describeOpenPages(): string {
  const now = Date.now();
  return [...openPages]
    .map(({ page, inFlight, console }) => {
      const waiting = [...inFlight].map(([url, since]) => `\n    ${url} (for ${now - since} ms)`).join("");
      const logged = console.map((line) => `\n    console: ${line}`).join("");
      return `  page ${page.url()}: ${inFlight.size} request(s) in flight${waiting}${logged}`;
    })
    .join("\n");
}

/** A page in a fresh context that records console errors, page errors, failed requests and HTTP errors. */
export async function watchedPage(
  browser: Browser,
  options: WatchedPageOptions = {},
): Promise<{ page: Page; problems: string[] } & AsyncDisposable> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  const report = (problem: string) => {
    if (!options.ignore?.(problem)) problems.push(problem);
  };
  page.on("console", (message) => {
    if (message.type() === "error") report(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => report(`page error: ${error.message}`));
  page.on("requestfailed", (failed) => {
    // ERR_ABORTED is the browser cancelling a request itself (a navigation or reload while a
    // favicon or an EventSource is still loading); a failing server shows up as another error.
    if (failed.failure()?.errorText === "net::ERR_ABORTED") return;
    report(`request failed: ${failed.url()} ${failed.failure()?.errorText}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) report(`HTTP ${response.status()}: ${response.url()}`);
  });
  const open = { page, inFlight: new Map<string, number>(), console: [] as string[] };
  page.on("console", (message) => {
    open.console.push(`${new Date().toISOString().slice(11, 23)} ${message.text().slice(0, 200)}`);
    if (open.console.length > 20) open.console.shift();
  });
  openPages.add(open);
  const requestKey = (request: PageRequest) => `${request.method()} ${request.url()}`;
  page.on("request", (request) => open.inFlight.set(requestKey(request), Date.now()));
  page.on("requestfinished", (request) => open.inFlight.delete(requestKey(request)));
  page.on("requestfailed", (request) => open.inFlight.delete(requestKey(request)));
  return {
    page,
    problems,
    [Symbol.asyncDispose]: () => {
      openPages.delete(open);
      return context.close();
    },
  };
}
