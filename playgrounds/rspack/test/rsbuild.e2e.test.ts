// `rsbuild dev` with `plugins: [captun()]` from `captun/rsbuild`, once per routing mode (each with
// its own captun server and dev server), opened in Chromium through the printed public URL.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoutingMode } from "../../../packages/core/src/routing.ts";
import { editFile } from "../../../packages/core/test/_apps.ts";
import { startTestServer, visit } from "../../../packages/core/test/_harness.ts";
import { configHome, copyApp, launchChromium, type RunningProcess, runRsbuildDev, statusWithHost, watchedPage } from "./_rspack-harness.ts";

let browser: Awaited<ReturnType<typeof launchChromium>>;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe.each<RoutingMode>(["subdomain", "folder"])("`rsbuild dev` with captun() under %s routing", (routing) => {
  let cleanup: AsyncDisposableStack;
  let rsbuild: RunningProcess;
  let root: string;
  let localUrl: string;
  let publicUrl: string;

  beforeAll(async () => {
    cleanup = new AsyncDisposableStack();
    const server = cleanup.use(await startTestServer({ routing }));
    const home = cleanup.use(
      await configHome({ serverUrl: server.url, secret: server.secret, routing, customHostname: server.customHostname }),
    );
    const app = cleanup.use(await copyApp());
    root = app.root;
    rsbuild = cleanup.use(runRsbuildDev(root, ["--port", "0"], { XDG_CONFIG_HOME: home.dir, CAPTUN_ACCESS: "public" }));
    [, localUrl = ""] = (await rsbuild.waitForOutput(/➜\s+Local:\s+(\S+)/)) as string[];
    [, publicUrl = ""] = (await rsbuild.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
    await rsbuild.waitForOutput(/captun: public URL \S+ is live/);
  }, 60_000);
  afterAll(async () => {
    await cleanup?.disposeAsync();
  });

  it("prints the public URL after Rsbuild's local one, in the same folder under folder routing", () => {
    const lines = rsbuild.output().split("\n");
    expect(lines.findIndex((line) => line.includes("Public:"))).toBeGreaterThan(lines.findIndex((line) => line.includes("Local:")));
    expect(new URL(localUrl).pathname).toBe(new URL(publicUrl).pathname);
  });

  it("serves the page and its bundle through the public URL, and hot-replaces an edited module without a reload", async () => {
    await using watched = await watchedPage(browser);
    const { page, problems } = watched;
    const hmrConnected = page.waitForEvent("console", {
      predicate: (message) => message.text().includes("[rsbuild] WebSocket connected"),
      timeout: 15_000,
    });
    await page.goto(publicUrl);
    await page.locator("#greeting").getByText("Hello from the captun Rspack playground").waitFor();
    await hmrConnected;
    await page.evaluate(() => {
      (window as { marker?: string }).marker = "still here";
    });
    const file = join(root, "src/greeting.js");
    const source = await readFile(file, "utf8");
    await editFile(file, source.replace("Hello from the captun Rspack playground", `Edited under ${routing} routing`));
    await page.locator("#greeting").getByText(`Edited under ${routing} routing`).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (window as { marker?: string }).marker)).toBe("still here");
    expect(await page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(1);
    await editFile(file, source);
    await page.locator("#greeting").getByText("Hello from the captun Rspack playground").waitFor({ timeout: 15_000 });
    // A failed HMR socket through the tunnel would show here (Rsbuild then falls back to a direct one).
    expect(problems).toEqual([]);
  });

  it("answers the dev server's API middleware with the public host, streaming a body both ways", async () => {
    const text = "captun ".repeat(20_000);
    const response = await visit(`${publicUrl}api/echo`, { method: "POST", body: text, headers: { "content-type": "text/plain" } });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { host: string; received: number; reversed: string };
    expect(answer.host).toBe(new URL(publicUrl).host);
    expect(answer.received).toBe(text.length);
    expect(answer.reversed).toBe([...text].reverse().join(""));
  });

  it("adds exactly the public host to the hosts the config allows", async () => {
    expect(await statusWithHost(localUrl, "evil.example")).toBe(403);
    expect(await statusWithHost(localUrl, `${new URL(publicUrl).hostname}.evil.example`)).toBe(403);
    expect(await statusWithHost(localUrl, new URL(publicUrl).host)).toBe(200);
  });
});
