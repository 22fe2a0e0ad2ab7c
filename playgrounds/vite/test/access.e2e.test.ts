// A Vite preview shared with captun() is private by default: the printed link opens the app (HMR
// included) in Chromium, anonymous visitors get the 401 page and not one byte of the app.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { localhostConnectOptions } from "../../../packages/core/src/_localhost.ts";
import type { RoutingMode } from "../../../packages/core/src/routing.ts";
import { editFile } from "../../../packages/core/test/_apps.ts";
import { startTestServer, type TestServer, visit } from "../../../packages/core/test/_harness.ts";
import { configHome, copyApp, launchChromium, type RunningCli, runVite, watchedPage } from "./_vite-harness.ts";

let browser: Awaited<ReturnType<typeof launchChromium>>;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe.each<RoutingMode>(["subdomain", "folder"])("a private Vite preview under %s routing", (routing) => {
  let server: TestServer;
  let cleanup: AsyncDisposableStack;
  let vite: RunningCli;
  let root: string;
  let localUrl: string;
  let ownerLink: string;
  let appUrl: string;

  beforeAll(async () => {
    cleanup = new AsyncDisposableStack();
    server = cleanup.use(await startTestServer({ routing }));
    const home = cleanup.use(
      await configHome({ serverUrl: server.url, secret: server.secret, routing, customHostname: server.customHostname }),
    );
    root = cleanup.use(await copyApp()).root;
    vite = cleanup.use(runVite(root, ["--port", "0"], { XDG_CONFIG_HOME: home.dir }));
    await vite.waitForOutput(/captun: public URL \S+ is live/);
    [, localUrl = ""] = (await vite.waitForOutput(/➜\s+Local:\s+(\S+)/)) as string[];
    [, ownerLink = ""] = (await vite.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
    const link = new URL(ownerLink);
    link.searchParams.delete("captun_share");
    appUrl = link.href;
  });
  afterAll(async () => {
    await cleanup?.disposeAsync();
  });

  it("prints the owner's link as the public URL and says the preview is private", () => {
    expect(ownerLink).toMatch(/\?captun_share=v1\.[\w-]+\.[\w-]+$/);
    const line = vite
      .output()
      .split("\n")
      .find((l) => l.includes("Public:"));
    expect(line).toMatch(/private/);
    expect(appUrl.endsWith("/")).toBe(true);
  });

  it("gives an anonymous visitor the 401 page and not one byte of the app, its modules or its HMR socket", async () => {
    for (const path of ["", "src/main.ts", "@vite/client", "src/greeting.ts", "api/time"]) {
      const response = await visit(appUrl + path);
      expect(response.status, path).toBe(401);
      expect(response.headers.get("x-captun-error")).toBe("access-required");
      const body = await response.text();
      expect(body).not.toMatch(/captun playground|import |vite|<script/i);
    }
    await using watched = await watchedPage(browser, { ignore: (problem) => problem.includes("401") });
    const response = await watched.page.goto(appUrl);
    expect(response?.status()).toBe(401);
    expect(await watched.page.locator("#captun-access-message").textContent()).toBe("This preview is private — ask its owner for a link.");
    expect(await watched.page.locator("#greeting").count()).toBe(0);

    const hmr = new WebSocket(appUrl.replace(/^http/, "ws"), "vite-hmr", localhostConnectOptions);
    const status = await new Promise<number>((resolve, reject) => {
      hmr.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      hmr.on("open", () => reject(new Error("the HMR socket opened for an anonymous visitor")));
      hmr.on("error", () => {});
    });
    expect(status).toBe(401);
  });

  it("opens the app from the owner's link, drops the token from the URL, and hot-reloads", async () => {
    await using watched = await watchedPage(browser);
    const { page, problems } = watched;
    const hmrConnected = page.waitForEvent("console", { predicate: (m) => m.text().includes("[vite] connected"), timeout: 15_000 });
    await page.goto(ownerLink);
    expect(page.url()).toBe(appUrl);
    await hmrConnected;
    await page.locator("#greeting").getByText("Hello from the captun playground").waitFor();
    const cookies = await page.context().cookies();
    expect(cookies).toEqual([
      expect.objectContaining({
        name: "captun_access",
        httpOnly: true,
        sameSite: "Lax",
        path: routing === "folder" ? new URL(appUrl).pathname.replace(/\/$/, "") : "/",
      }),
    ]);
    expect(await page.evaluate(() => document.cookie)).not.toContain("captun_access");

    const file = join(root, "src/greeting.ts");
    const source = await readFile(file, "utf8");
    await editFile(file, source.replace("Hello from the captun playground", `Private edit under ${routing}`));
    await page.locator("#greeting").getByText(`Private edit under ${routing}`).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (window as { pageLoads?: number }).pageLoads)).toBe(1);
    await editFile(file, source);
    await page.locator("#greeting").getByText("Hello from the captun playground").waitFor({ timeout: 15_000 });
    expect(problems).toEqual([]);
  });

  it("never gates the local URL", async () => {
    const response = await visit(localUrl);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("/src/main.ts");
  });
});
