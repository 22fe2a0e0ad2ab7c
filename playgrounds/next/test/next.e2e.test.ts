import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RoutingMode } from "../../../packages/core/src/routing.ts";
import {
  configHome,
  describeOpenPages,
  editFile,
  launchChromium,
  type RunningProcess,
  watchedPage,
} from "../../../packages/core/test/_apps.ts";
import { startTestServer, type TestServer, visit, waitFor } from "../../../packages/core/test/_harness.ts";
import { copyApp, freePort, runNextDev } from "./_next-harness.ts";

// `next dev` is heavy on a small machine: one launch per bundler, many checks per launch.
const SLOW = 120_000;

let browser: Awaited<ReturnType<typeof launchChromium>>;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const launches: { bundler: string; args: string[]; routing: RoutingMode }[] = [
  // Folder routing on 127.0.0.1 is the hard case: basePath, and a host Next does not allow by default.
  { bundler: "Turbopack", args: [], routing: "folder" },
  { bundler: "webpack", args: ["--webpack"], routing: "subdomain" },
];

function expectedProblem(problem: string, routing: RoutingMode): boolean {
  // Failed loads are reported with their URL as HTTP errors; Chromium's console repeats them without one.
  if (problem.startsWith("console: Failed to load resource")) return true;
  // Next's dev tools load their font from `/__nextjs_font/` at the host's root, ignoring basePath:
  // under folder routing that root is the captun server's, not the app's (docs/next.md).
  return routing === "folder" && /^HTTP 404: http:\/\/[^/]+\/__nextjs_font\//.test(problem);
}

describe.each(launches)("`next dev` ($bundler) with withCaptun() under $routing routing", ({ args, routing }) => {
  let server: TestServer;
  let cleanup: AsyncDisposableStack;
  let next: RunningProcess;
  let root: string;
  let localUrl: string;
  let publicUrl: string;
  let configFile: string;
  const watch = { ignore: (problem: string) => expectedProblem(problem, routing) };

  beforeAll(async () => {
    cleanup = new AsyncDisposableStack();
    server = cleanup.use(await startTestServer({ routing }));
    const home = cleanup.use(
      await configHome({ serverUrl: server.url, secret: server.secret, routing, customHostname: server.customHostname }),
    );
    configFile = home.file;
    const app = cleanup.use(await copyApp());
    root = app.root;
    const port = await freePort();
    next = cleanup.use(
      runNextDev(root, [...args, "--port", String(port), "--hostname", "127.0.0.1"], {
        XDG_CONFIG_HOME: home.dir,
        CAPTUN_ACCESS: "public",
      }),
    );
    await next.waitForOutput(/captun: public URL \S+ is live/, SLOW);
    [, localUrl = ""] = (await next.waitForOutput(/- Local:\s+(\S+)/)) as string[];
    [, publicUrl = ""] = (await next.waitForOutput(/- Public:\s+(\S+)/)) as string[];
  }, SLOW);
  afterAll(async () => {
    await cleanup?.disposeAsync();
  });
  afterEach(({ task }) => {
    // A failure explains itself with what Next printed.
    if (task.result?.state === "fail") {
      console.error(`next dev output:\n${next?.output().slice(-3000)}\nopen pages:\n${describeOpenPages()}`);
    }
  });

  it("prints the public URL under Next's own URLs, for the project's saved name", async () => {
    const lines = next.output().split("\n");
    const local = lines.findIndex((line) => line.includes("- Local:"));
    const publicLine = lines.findIndex((line) => line.includes("- Public:"));
    expect(local).toBeGreaterThanOrEqual(0);
    expect(publicLine).toBeGreaterThan(local);
    const saved = JSON.parse(await readFile(configFile, "utf8")) as { projects: Record<string, string> };
    const names = Object.values(saved.projects);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^playground-next-[a-z0-9]+$/);
    expect(publicUrl).toBe(server.tunnelUrl(names[0]!));
  });

  it(
    "serves App Router and Pages Router pages, next/image, a client component, a route handler and proxy.ts, with no errors",
    async () => {
      await using watched = await watchedPage(browser, watch);
      const { page, problems } = watched;
      await page.goto(publicUrl, { timeout: SLOW });
      await page.locator("#title").getByText("Hello from the captun Next playground").waitFor({ timeout: SLOW });
      // The optimized image comes from /_next/image through the tunnel.
      await page.waitForFunction(() => (document.querySelector("#logo") as HTMLImageElement | null)?.naturalWidth === 64, null, {
        timeout: SLOW,
      });
      expect(await page.evaluate(() => (document.querySelector("#logo") as HTMLImageElement).currentSrc)).toContain("/_next/image");
      // Hydrated: the client component reacts.
      await page.locator("#counter").click();
      await page.locator("#counter").getByText("Clicked 1 times").waitFor({ timeout: SLOW });

      const hello = await visit(`${publicUrl}/api/hello`);
      expect(hello.status).toBe(200);
      expect(hello.headers.get("x-playground-proxy")).toBe("ran");
      expect(await hello.json()).toMatchObject({ hello: "from a route handler", host: new URL(publicUrl).host });

      await page.goto(`${publicUrl}/legacy`, { timeout: SLOW });
      await page.locator("#legacy").getByText("Pages Router page").waitFor({ timeout: SLOW });
      expect(problems).toEqual([]);
    },
    // Four routes compile on first request, one after another; under a loaded CI machine together
    // they can outlast one wait's budget.
    2 * SLOW,
  );

  it(
    "streams the Suspense page: the shell and fallback arrive before the slow part",
    async () => {
      const response = await visit(`${publicUrl}/streamed`);
      expect(response.status).toBe(200);
      const decoder = new TextDecoder();
      let text = "";
      let fallbackAt: number | undefined;
      let slowAt: number | undefined;
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        if (fallbackAt === undefined && text.includes("Loading the slow part")) fallbackAt = Date.now();
        if (slowAt === undefined && text.includes("Slow part arrived")) slowAt = Date.now();
      }
      expect(fallbackAt).toBeDefined();
      expect(slowAt).toBeDefined();
      // The slow part waits 1.5 s on the server: had the body been buffered, both would arrive together.
      expect(slowAt! - fallbackAt!).toBeGreaterThan(700);

      await using watched = await watchedPage(browser, watch);
      await watched.page.goto(`${publicUrl}/streamed`, { timeout: SLOW });
      await watched.page.locator("#slow").getByText("Slow part arrived").waitFor({ timeout: SLOW });
      expect(watched.problems).toEqual([]);
    },
    SLOW,
  );

  it(
    "submits the Server Action form through the public URL and shows the update",
    async () => {
      await using watched = await watchedPage(browser, watch);
      const { page, problems } = watched;
      await page.goto(`${publicUrl}/guestbook`, { timeout: SLOW });
      const visitor = `visitor-${routing}`;
      await page.locator("#name").fill(visitor);
      await page.locator("#sign").click();
      await page.locator("#entries li").getByText(visitor).waitFor({ timeout: SLOW });
      expect(problems).toEqual([]);
    },
    SLOW,
  );

  it(
    "Fast Refresh shows an edit in the browser on the public URL, keeping component state",
    async () => {
      await using watched = await watchedPage(browser, watch);
      const { page, problems } = watched;
      const sockets: string[] = [];
      page.on("websocket", (socket) => sockets.push(socket.url()));
      await page.goto(publicUrl, { timeout: SLOW });
      await page.locator("#counter").click();
      await page.locator("#counter").getByText("Clicked 1 times").waitFor({ timeout: SLOW });
      await page.locator("#counter").click();
      await page.locator("#counter").getByText("Clicked 2 times").waitFor({ timeout: SLOW });
      await page.evaluate(() => {
        (window as { marker?: string }).marker = "still here";
      });
      const file = join(root, "app/counter.tsx");
      const source = await readFile(file, "utf8");
      await editFile(file, source.replace("Clicked {clicks} times", "Pressed {clicks} times"));
      await page.locator("#counter").getByText("Pressed 2 times").waitFor({ timeout: SLOW });
      expect(await page.evaluate(() => (window as { marker?: string }).marker)).toBe("still here");
      // The HMR socket (`/_next/hmr` in Next 16, `/_next/webpack-hmr` before) went to the public host, through the tunnel.
      const publicHmr = `${publicUrl.replace(/^http/, "ws")}/_next/`;
      expect(
        sockets.filter((url) => url.startsWith(publicHmr) && /\/_next\/(webpack-)?hmr\b/.test(url)),
        `sockets: ${sockets.join(" ")}`,
      ).toHaveLength(1);
      expect(problems).toEqual([]);
    },
    SLOW,
  );

  it("allows only the exact public host in Next's dev-origin check", async () => {
    const asset = `${localUrl}${new URL(publicUrl).pathname.replace(/\/$/, "")}/_next/static/chunks/missing.js`;
    const foreign = await visit(asset, { headers: { origin: "http://evil.example" } });
    expect(foreign.status).toBe(403);
    await foreign.body?.cancel();
    const own = await visit(asset, { headers: { origin: new URL(publicUrl).origin } });
    expect(own.status).not.toBe(403);
    await own.body?.cancel();
  });

  it("opened exactly one tunnel for this dev server", () => {
    const output = next.output();
    expect(output.match(/captun: public URL \S+ is live/g)).toHaveLength(1);
    expect(output.match(/- Public:/g)).toHaveLength(1);
    expect(output).not.toContain("took the name");
  });

  it(
    "after a next.config edit, Next's new serving process shares again under the same public URL",
    async () => {
      const config = join(root, "next.config.ts");
      await editFile(config, `${await readFile(config, "utf8")}\n// edited by the test\n`);
      await next.waitForOutput(/Restarting the server/, SLOW);
      await waitFor(() => (next.output().match(/captun: public URL \S+ is live/g) ?? []).length === 2, SLOW, "the tunnel to reopen");
      const [, restartedUrl] = /Restarting the server[\s\S]*- Public:\s+(\S+)/.exec(next.output()) ?? [];
      expect(restartedUrl).toBe(publicUrl);
      const hello = await visit(`${publicUrl}/api/hello`);
      expect(hello.status).toBe(200);
      expect(await hello.json()).toMatchObject({ hello: "from a route handler" });
    },
    SLOW,
  );
});
