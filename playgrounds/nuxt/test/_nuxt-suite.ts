// The `nuxt dev` suite, run once per routing mode from its own test file (one captun server and one
// Nuxt dev server per file, so the two run in parallel): `modules: ["@captun/nuxt"]`, opened in
// Chromium through the printed public URL.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoutingMode } from "../../../packages/core/src/routing.ts";
import { editFile } from "../../../packages/core/test/_apps.ts";
import { expectBlocked, rawGet } from "../../../packages/core/test/_dev-endpoints.ts";
import { startTestServer, visit } from "../../../packages/core/test/_harness.ts";
import { configHome, copyApp, launchChromium, type RunningProcess, runNuxtDev, statusWithHost, watchedPage } from "./_nuxt-harness.ts";

export function nuxtSuite(routing: RoutingMode): void {
  describe(`\`nuxt dev\` with @captun/nuxt under ${routing} routing`, () => nuxtTests(routing));
}

function nuxtTests(routing: RoutingMode): void {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let cleanup: AsyncDisposableStack;
  let nuxt: RunningProcess;
  let root: string;
  let localUrl: string;
  let publicUrl: string;

  beforeAll(async () => {
    cleanup = new AsyncDisposableStack();
    const server = cleanup.use(await startTestServer({ routing }));
    const home = cleanup.use(
      await configHome({ serverUrl: server.url, secret: server.secret, routing, customHostname: server.customHostname }),
    );
    browser = cleanup.use(await launchChromium());
    const app = cleanup.use(await copyApp());
    root = app.root;
    nuxt = cleanup.use(runNuxtDev(root, ["--port", "0", "--host", "127.0.0.1"], { XDG_CONFIG_HOME: home.dir, CAPTUN_ACCESS: "public" }));
    [, localUrl = ""] = (await nuxt.waitForOutput(/➜ Local:\s+(\S+)/)) as string[];
    [, publicUrl = ""] = (await nuxt.waitForOutput(/➜ Public:\s+(\S+)/)) as string[];
    await nuxt.waitForOutput(/captun: public URL \S+ is live/);
  }, 120_000);
  afterAll(async () => {
    await cleanup?.disposeAsync();
  });

  it("prints the public URL right after Nuxt's own URLs", () => {
    const lines = nuxt.output().split("\n");
    expect(lines.findIndex((line) => line.includes("Public:"))).toBeGreaterThan(lines.findIndex((line) => line.includes("Local:")));
    const { pathname } = new URL(publicUrl);
    expect(pathname).toBe(routing === "folder" ? `/${pathname.split("/")[1]}/` : "/");
  });

  it("renders server-side with the public origin, hydrates, navigates and fetches its API, with no errors", async () => {
    await using watched = await watchedPage(browser);
    const { page, problems } = watched;
    await page.goto(publicUrl);
    await page.locator("#greeting").getByText("Hello from the captun Nuxt playground").waitFor();
    expect(await page.locator("#origin").textContent()).toBe(new URL(publicUrl).origin);
    expect(await page.evaluate(() => getComputedStyle(document.querySelector("main")!).borderTopColor)).toBe("rgb(29, 78, 216)");
    await page.waitForSelector("main[data-hydrated=true]", { timeout: 60_000 });
    await page.click("#increment");
    await page.locator("#count").getByText("1").waitFor();
    await page.click("#about-link");
    await page.locator("#about").getByText("About this playground").waitFor();
    expect(page.url()).toBe(`${publicUrl}about`);
    await page.locator("#api-url").getByText(`${publicUrl}api/echo`).waitFor();
    expect(problems).toEqual([]);
  });

  it("hot-updates an edited component in a browser on the public URL, without a full reload", async () => {
    await using watched = await watchedPage(browser);
    const { page, problems } = watched;
    const hmrConnected = page.waitForEvent("console", {
      predicate: (message) => message.text().includes("[vite] connected"),
      timeout: 60_000,
    });
    await page.goto(publicUrl);
    await hmrConnected;
    await page.waitForSelector("main[data-hydrated=true]", { timeout: 60_000 });
    await page.evaluate(() => {
      (window as { marker?: string }).marker = "still here";
    });
    const file = join(root, "app/components/Greeting.vue");
    const source = await readFile(file, "utf8");
    await editFile(file, source.replace("Hello from the captun Nuxt playground", `Edited under ${routing} routing`));
    await page.locator("#greeting").getByText(`Edited under ${routing} routing`).waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => (window as { marker?: string }).marker)).toBe("still here");
    expect(await page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(1);
    await editFile(file, source);
    await page.locator("#greeting").getByText("Hello from the captun Nuxt playground").waitFor({ timeout: 30_000 });
    expect(problems).toEqual([]);
  });

  it("answers a server API route with the public URL and streams a request body through it", async () => {
    const seen = (await (await visit(`${publicUrl}api/echo?q=1`)).json()) as { url: string; clientAddress: string };
    expect(seen.url).toBe(`${publicUrl}api/echo?q=1`);
    const text = "captun ".repeat(20_000);
    const response = await visit(`${publicUrl}api/echo`, { method: "POST", body: text, headers: { "content-type": "text/plain" } });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { received: number; reversed: string };
    expect(answer.received).toBe(text.length);
    expect(answer.reversed).toBe([...text].reverse().join(""));
  });

  it("keeps Nitro's virtual file system and Nuxt's DevTools pages local", async () => {
    const prefix = new URL(publicUrl).pathname.replace(/\/$/, "");
    await expectBlocked(publicUrl, [`${prefix}/_vfs`, `${prefix}/_vfs.json`, `${prefix}/%5Fvfs`, `${prefix}/__nuxt_devtools__/client/`]);
    // Locally Nitro still lists its virtual files: what the tunnel refused is real.
    const local = await rawGet(localUrl, "/_vfs");
    expect(local.status).toBe(200);
    expect(local.body).toContain("nitro");
  });

  it("allows exactly the public host in Vite's host check", async () => {
    const host = new URL(publicUrl).host;
    const asset = `${new URL(publicUrl).pathname}_nuxt/@vite/client`;
    expect(await statusWithHost(new URL(asset, localUrl).href, host)).toBe(200);
    expect(await statusWithHost(new URL(asset, localUrl).href, "evil.example")).toBe(403);
  });
}
