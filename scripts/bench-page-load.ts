// `node scripts/bench-page-load.ts [--rounds 3] [--rtt-ms 40] [--up-mbit 20] [--down-mbit 100] [--edge h2|h1]
// [--access private|public] [--label name]`:
// a dev page loaded by a remote visitor over a laptop's home link, through captun and through a
// plain TCP forward (what `ssh -R` or bore give) over the same simulated link, in one run.
// `pnpm bench` runs it too. Method and what bounds each figure: docs/benchmarks.md, "Dev page over a home uplink".
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type ClientRequest, get, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { tunnelUrlFor } from "captun";
import pc from "picocolors";
import type { Browser } from "playwright-core";
// Runtime-neutral and not in the Node entry (captun/internal is the Worker's): taken from source.
import { ACCESS_COOKIE, createShareLink, SHARE_PARAM } from "../packages/core/src/share-link.ts";
import { startEdge } from "./bench-edge.ts";
import type { LinkCounts, LinkMessage, LinkOptions } from "./bench-link.ts";
import { median } from "./bench-measure.ts";
import { generatePageApp } from "./bench-page-app.ts";
import type { LaptopMessage } from "./bench-page-laptop.ts";
import { formatPageLoadTable } from "./bench-page-report.ts";
import { script, startServer } from "./bench-targets.ts";

const playground = new URL("../playgrounds/vite/", import.meta.url);
const NAME = "bench-page";
const LOAD_TIMEOUT_MS = 60_000;

export interface PageLoadOptions {
  /** @default 3 */
  rounds?: number;
  /** @default 40 */
  rttMs?: number;
  /** @default 20 */
  upMbit?: number;
  /** @default 100 */
  downMbit?: number;
  /**
   * How the visitor reaches the captun server: `h2`, TLS + HTTP/2 as browsers reach Cloudflare's
   * edge (every request in flight at once), or `h1`, the local server's plain HTTP/1.1 (six at a time).
   * @default "h2"
   */
  edge?: "h2" | "h1";
  /**
   * How the dev server shares: `private` as `captun()` does by default (each visitor opens a share
   * link, which sets the access cookie every later request carries), or `public`.
   * @default "private"
   */
  access?: "private" | "public";
  /** Progress lines. @default none */
  log?: (what: string) => void;
}

export interface VisitFigures {
  /** Navigation start → load event, in the browser's clock. */
  loadMs: number;
  /** Navigation start → every module (lazy routes included) fetched and evaluated. */
  readyMs: number;
  uplinkBytes: number;
  downlinkBytes: number;
  /** Median over the page's requests of request sent → first response byte, in the browser's clock. */
  ttfbP50Ms: number;
  /** Requests the browser made for the page. */
  browserRequests: number;
  /** Requests that reached the dev server on the laptop. */
  laptopRequests: number;
}

export type PathVisits = { first: VisitFigures; second: VisitFigures };

export interface PageLoadResult {
  link: { rttMs: number; upMbit: number; downMbit: number };
  edge: "h2" | "h1";
  access: "private" | "public";
  /** Requests the HTTP/2 edge sent again after the local server hung up (bench-edge.ts). */
  edgeResent: number;
  app: { modules: number; cssFiles: number };
  rounds: number;
  raw: PathVisits;
  captun: PathVisits;
  /**
   * The same page straight from Vite on loopback, no link and no tunnel: what the browser and the
   * dev server need on this machine, the floor under both paths.
   */
  loopback: PathVisits;
  /** Every round, for the record. */
  each: { raw: PathVisits[]; captun: PathVisits[]; loopback: PathVisits[] };
}

/** Send one message to a forked helper and wait for its answer (helpers answer in order). */
async function ask<T>(child: ChildProcess, message: LaptopMessage | LinkMessage): Promise<T> {
  const done = new AbortController();
  const answer = Promise.race([
    once(child, "message", { signal: done.signal }) as Promise<[T & { error?: string }]>,
    once(child, "exit", { signal: done.signal }).then(([code]) => {
      throw new Error(`${child.spawnargs.at(-1)} exited (${code}) while asked for ${message.op}`);
    }),
  ]);
  child.send(message);
  try {
    const [value] = await answer;
    if (value.error) throw new Error(value.error);
    return value;
  } finally {
    // Drops the listener that lost the race, so hundreds of questions leave none behind.
    done.abort();
  }
}

function forkHelper(file: string): ChildProcess & AsyncDisposable {
  const child = fork(script(file), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return Object.assign(child, {
    async [Symbol.asyncDispose]() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  });
}

export async function benchPageLoad(options: PageLoadOptions = {}): Promise<PageLoadResult> {
  const link = { rttMs: options.rttMs ?? 40, upMbit: options.upMbit ?? 20, downMbit: options.downMbit ?? 100 };
  const rounds = options.rounds ?? 3;
  const edgeMode = options.edge ?? "h2";
  const access = options.access ?? "private";
  const log = options.log ?? (() => {});
  const root = mkdtempSync(join(tmpdir(), "captun-bench-page-"));
  const app = generatePageApp(root);
  const { chromium } = (await import(
    new URL("node_modules/playwright-core/index.mjs", playground).href
  )) as typeof import("playwright-core");
  // In its own process, as `captun server` runs: its front does not share the edge's event loop.
  const { child: serverProcess, server } = await startServer("captun", "subdomain");
  await using _server = { [Symbol.asyncDispose]: serverProcess.stop };
  await using links = forkHelper("bench-link.ts");
  await using edge = edgeMode === "h2" ? await startEdge(server.url) : undefined;
  let browser: Browser | undefined;
  let linkId = 0;
  try {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    const visit = (url: string) => load(browser!, url);

    const openLink = async (linkOptions: Omit<LinkOptions, "rttMs" | "upMbit" | "downMbit">) => {
      const id = ++linkId;
      const opened = await ask<{ url: string }>(links, { op: "start", id, options: { ...linkOptions, ...link } });
      return {
        url: opened.url,
        counts: () => ask<LinkCounts>(links, { op: "counts", id }),
        close: () => ask(links, { op: "close", id }),
      };
    };

    // One page load straight from Vite first: its dep optimizer bundles React into the app's
    // cache once, so no round pays for that.
    log(`page-load: ${app.modules} modules in ${root}; optimizing deps`);
    {
      await using laptop = forkHelper("bench-page-laptop.ts");
      const { url } = await ask<{ url: string }>(laptop, { op: "start", root });
      await visit(url);
      await ask(laptop, { op: "close" });
    }

    const measure = async (laptop: ChildProcess, url: string, counts: () => Promise<LinkCounts>): Promise<PathVisits> => {
      const one = async () => {
        const before = { link: await counts(), laptop: await ask<{ requests: number }>(laptop, { op: "requests" }) };
        const page = await visit(url);
        const after = { link: await counts(), laptop: await ask<{ requests: number }>(laptop, { op: "requests" }) };
        return {
          ...page,
          uplinkBytes: after.link.up - before.link.up,
          downlinkBytes: after.link.down - before.link.down,
          laptopRequests: after.laptop.requests - before.laptop.requests,
        };
      };
      const first = await one();
      return { first, second: await one() };
    };

    const rawRound = async (): Promise<PathVisits> => {
      await using laptop = forkHelper("bench-page-laptop.ts");
      const { port } = await ask<{ port: number }>(laptop, { op: "start", root });
      const forward = await openLink({ target: `127.0.0.1:${port}`, laptop: "target" });
      try {
        await waitForPage(`${forward.url}/`);
        return await measure(laptop, `${forward.url}/`, forward.counts);
      } finally {
        // A helper that died already said why; disposal reaps it, so these never mask that error.
        await forward.close().catch(() => {});
        await ask(laptop, { op: "close" }).catch(() => {});
      }
    };

    const loopbackRound = async (): Promise<PathVisits> => {
      await using laptop = forkHelper("bench-page-laptop.ts");
      const { url } = await ask<{ url: string }>(laptop, { op: "start", root });
      try {
        await waitForPage(url);
        const nothing = async (): Promise<LinkCounts> => ({ up: 0, down: 0, connections: 0, peakQueued: 0 });
        return await measure(laptop, url, nothing);
      } finally {
        await ask(laptop, { op: "close" }).catch(() => {});
      }
    };

    const captunRound = async (): Promise<PathVisits> => {
      const toServer = await openLink({ target: server.url, laptop: "connector" });
      await using laptop = forkHelper("bench-page-laptop.ts");
      try {
        const customHostname = server.customHostname ?? "localhost";
        await ask(laptop, {
          op: "start",
          root,
          share: { serverUrl: toServer.url, secret: server.secret, name: NAME, customHostname, access },
        });
        const tunnelUrl = tunnelUrlFor(edge ? `https://localhost:${edge.port}` : server.url, NAME, customHostname);
        // Every visitor opens the same link, as people the owner sent it to would.
        const link = await createShareLink({ tunnelUrl, name: NAME, secret: server.secret, ttlMs: 3_600_000, label: "bench" });
        const token = new URL(link.url).searchParams.get(SHARE_PARAM) ?? "";
        // The public page is checked on the local server itself; the edge only forwards to it.
        await waitForPage(
          `${tunnelUrlFor(server.url, NAME, customHostname)}/`,
          access === "private" ? `${ACCESS_COOKIE}=${token}` : undefined,
        );
        return await measure(laptop, access === "private" ? link.url : `${tunnelUrl}/`, toServer.counts);
      } finally {
        await ask(laptop, { op: "close" }).catch(() => {});
        await toServer.close().catch(() => {});
      }
    };

    // Paths alternate which goes first, so load from elsewhere on the machine skews a round, not a path.
    const each: PageLoadResult["each"] = { raw: [], captun: [], loopback: [] };
    const paths = { raw: rawRound, captun: captunRound, loopback: loopbackRound };
    const titles = { raw: "raw TCP forward", captun: "captun", loopback: "Vite on loopback" };
    for (let round = 1; round <= rounds; round++) {
      for (const path of round % 2 ? (["raw", "captun", "loopback"] as const) : (["loopback", "captun", "raw"] as const)) {
        log(`page-load round ${round}: ${titles[path]}`);
        each[path].push(await paths[path]());
      }
    }
    return {
      link,
      edge: edgeMode,
      access,
      edgeResent: edge?.resent ?? 0,
      app: { modules: app.modules, cssFiles: app.cssFiles },
      rounds,
      raw: medianVisits(each.raw),
      captun: medianVisits(each.captun),
      loopback: medianVisits(each.loopback),
      each,
    };
  } finally {
    await browser?.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** A fresh browser context (an empty cache, like a new visitor's profile) loads the page once. */
async function load(browser: Browser, url: string): Promise<Omit<VisitFigures, "uplinkBytes" | "downlinkBytes" | "laptopRequests">> {
  // The edge's certificate is self-signed for *.localhost.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    // Chromium keeps 250 resource timings by default; the page makes more requests than that.
    await page.addInitScript(() => performance.setResourceTimingBufferSize(10_000));
    const problems: string[] = [];
    const pending = new Set<string>();
    let browserRequests = 0;
    page.on("request", (request) => {
      browserRequests++;
      pending.add(request.url());
    });
    page.on("requestfinished", (request) => pending.delete(request.url()));
    page.on("requestfailed", (request) => {
      pending.delete(request.url());
      problems.push(`${request.failure()?.errorText ?? "failed"} ${request.url()}`);
    });
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("response", (response) => {
      if (response.status() < 400) return;
      const headers = response.headers();
      const why = headers["x-captun-error"] ?? headers["x-bench-edge-error"] ?? "";
      problems.push(`${response.status()} ${why} ${response.url()}`);
    });
    try {
      await page.goto(url, { waitUntil: "load", timeout: LOAD_TIMEOUT_MS });
      await page.waitForFunction(() => window.__ready !== undefined, null, { timeout: LOAD_TIMEOUT_MS });
    } catch (error) {
      // Say what never came, so a hang points at its request.
      const unfinished = [...pending];
      throw new Error(
        `${(error as Error).message}\n${unfinished.length} requests unfinished: ${unfinished.slice(0, 10).join(" ")}\n` +
          `problems: ${problems.slice(0, 10).join("; ") || "none"}`,
      );
    }
    const timing = await page.evaluate(() => {
      const navigation = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
      const ttfb = performance
        .getEntriesByType("resource")
        .map((entry) => (entry as PerformanceResourceTiming).responseStart - (entry as PerformanceResourceTiming).requestStart)
        .sort((a, b) => a - b);
      return {
        loadMs: navigation.loadEventStart,
        readyMs: window.__ready as number,
        ttfbP50Ms: ttfb[Math.floor(ttfb.length / 2)] ?? Number.NaN,
      };
    });
    if (problems.length) throw new Error(`the bench page did not load cleanly from ${url}:\n${problems.join("\n")}`);
    return { ...timing, browserRequests };
  } finally {
    await context.close();
  }
}

/** `url` answers with the app's page (for captun: once the tunnel is up; bounded: 30 s). */
async function waitForPage(url: string, cookie?: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = "";
  while (Date.now() < deadline) {
    last = await pageAt(url, cookie).catch((error: Error) => error.message);
    if (last.includes("captun page-load bench")) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not serve the bench page within 30 s (last answer: ${last.slice(0, 200)})`);
}

/**
 * GET through loopback with the public Host: Node does not resolve *.localhost on every system,
 * and undici's fetch drops a caller's Host header (node:http keeps it).
 */
async function pageAt(url: string, cookie?: string): Promise<string> {
  const { host, port, pathname } = new URL(url);
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    get({ host: "127.0.0.1", port, path: pathname, headers: { host, ...(cookie ? { cookie } : {}) }, timeout: 5_000 }, resolve)
      .on("error", reject)
      .on("timeout", function (this: ClientRequest) {
        this.destroy(new Error("no answer within 5 s"));
      });
  });
  let text = `${response.statusCode} ${response.headers["x-captun-error"] ?? ""} `;
  for await (const chunk of response) text += chunk;
  return text;
}

function medianVisits(runs: PathVisits[]): PathVisits {
  const of = (visit: keyof PathVisits) => {
    const keys = Object.keys(runs[0]![visit]) as (keyof VisitFigures)[];
    return Object.fromEntries(keys.map((key) => [key, median(runs.map((run) => run[visit][key]))])) as unknown as VisitFigures;
  };
  return { first: of("first"), second: of("second") };
}

declare global {
  interface Window {
    __ready?: number;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "3" },
      "rtt-ms": { type: "string", default: "40" },
      "up-mbit": { type: "string", default: "20" },
      "down-mbit": { type: "string", default: "100" },
      edge: { type: "string", default: "h2" },
      access: { type: "string", default: "private" },
      label: { type: "string" },
    },
  });
  const began = performance.now();
  const result = await benchPageLoad({
    rounds: Number(values.rounds),
    rttMs: Number(values["rtt-ms"]),
    upMbit: Number(values["up-mbit"]),
    downMbit: Number(values["down-mbit"]),
    edge: values.edge === "h1" ? "h1" : "h2",
    access: values.access === "public" ? "public" : "private",
    log: (what) => console.error(pc.dim(`… ${((performance.now() - began) / 1000).toFixed(1)} s: ${what}`)),
  });
  console.log(formatPageLoadTable(result));
  if (values.label) {
    const dir = new URL("../docs/performance/", import.meta.url);
    mkdirSync(dir, { recursive: true });
    const file = new URL(`page-load-${values.label}.json`, dir);
    writeFileSync(file, `${JSON.stringify({ label: values.label, date: new Date().toISOString(), ...result }, null, 2)}\n`);
    console.log(pc.dim(`saved ${file.pathname}`));
  }
}
