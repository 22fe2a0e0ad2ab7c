// Dev-server figure for `pnpm bench`: cold load of the Vite playground page (HTML and every module
// request, fresh browser context each time) in Chromium, through the public URL vs. locally.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";

const playground = new URL("../playgrounds/vite/", import.meta.url);
const fromPlayground = (path: string) => import(new URL(`node_modules/${path}`, playground).href);

export interface DevServerBenchContext {
  serverUrl: string;
  secret: string;
  customHostname?: string;
  /** Timed loads per URL, alternating. @default 7 */
  rounds?: number;
}

export interface BenchRow {
  label: string;
  unit: string;
  direct?: number;
  captun: number;
}

export async function benchDevServer(context: DevServerBenchContext): Promise<BenchRow[]> {
  const { createServer } = (await fromPlayground("vite/dist/node/index.js")) as typeof import("vite");
  const captun = ((await fromPlayground("@captun/vite/dist/index.js")) as typeof import("@captun/vite")).default;
  const { chromium } = (await fromPlayground("playwright-core/index.mjs")) as typeof import("playwright-core");
  const vite = await createServer({
    root: fileURLToPath(playground),
    configFile: false,
    mode: "development",
    logLevel: "silent",
    server: { port: 0 },
    plugins: [
      captun({
        name: "bench-dev-server",
        serverUrl: context.serverUrl,
        secret: context.secret,
        routing: context.customHostname ? "subdomain" : "folder",
        customHostname: context.customHostname,
        // Dev servers share privately by default; the benchmark's visitor has no share link.
        access: "public",
        // Never the user's config: everything the plugin needs is passed here.
        configPath: join(tmpdir(), `captun-bench-${process.pid}.json`),
      }),
    ],
  });
  let browser: Browser | undefined;
  try {
    await vite.listen();
    const local = vite.resolvedUrls?.local[0];
    if (!local) throw new Error("the playground dev server has no local URL");
    const publicUrl = new URL(
      vite.config.base,
      context.customHostname ? context.serverUrl.replace("://", "://bench-dev-server.") : context.serverUrl,
    ).href;
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    const load = async (url: string) => {
      const page = await browser!.newPage();
      const started = performance.now();
      await page.goto(url, { waitUntil: "load" });
      await page.locator("#greeting").getByText("Hello").waitFor();
      const ms = performance.now() - started;
      await page.context().close();
      return ms;
    };
    // Warm Vite's transform cache (and wait for the tunnel) so both sides measure the same work.
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await load(publicUrl);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
    await load(local);
    const direct: number[] = [];
    const tunneled: number[] = [];
    for (let i = 0; i < (context.rounds ?? 7); i++) {
      direct.push(await load(local));
      tunneled.push(await load(publicUrl));
    }
    return [{ label: "Vite playground cold page load (p50)", unit: "ms", direct: median(direct), captun: median(tunneled) }];
  } finally {
    await browser?.close();
    await vite.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10;
}
