import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoutingMode } from "../../../packages/core/src/routing.ts";
import { editFile, statusWithHost } from "../../../packages/core/test/_apps.ts";
import { startTestServer, type TestServer, visit } from "../../../packages/core/test/_harness.ts";
import { configHome, copyApp, launchChromium, type RunningCli, runVite, watchedPage } from "./_vite-harness.ts";

let browser: Awaited<ReturnType<typeof launchChromium>>;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe.each<RoutingMode>(["subdomain", "folder"])("`vite` with captun() under %s routing", (routing) => {
  let server: TestServer;
  let cleanup: AsyncDisposableStack;
  let vite: RunningCli;
  let root: string;
  let localUrl: string;
  let publicUrl: string;

  beforeAll(async () => {
    cleanup = new AsyncDisposableStack();
    server = cleanup.use(await startTestServer({ routing }));
    const home = cleanup.use(
      await configHome({ serverUrl: server.url, secret: server.secret, routing, customHostname: server.customHostname }),
    );
    const app = cleanup.use(await copyApp());
    root = app.root;
    vite = cleanup.use(runVite(root, ["--port", "0"], { XDG_CONFIG_HOME: home.dir, CAPTUN_ACCESS: "public" }));
    await vite.waitForOutput(/captun: public URL \S+ is live/);
    [, localUrl = ""] = (await vite.waitForOutput(/➜\s+Local:\s+(\S+)/)) as string[];
    [, publicUrl = ""] = (await vite.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
    const saved = JSON.parse(await readFile(home.file, "utf8")) as { projects: Record<string, string> };
    expect(Object.values(saved.projects)).toHaveLength(1);
  });
  afterAll(async () => {
    await cleanup?.disposeAsync();
  });

  it("prints the public URL right under the local one, with the stable project name", () => {
    const lines = vite.output().split("\n");
    const local = lines.findIndex((line) => line.includes("Local:"));
    expect(lines[local + 1]).toContain(`Public:  ${publicUrl}`);
    const name = /[a-z0-9-]+-[a-z0-9]+/.exec(new URL(publicUrl).hostname.split(".")[0] ?? "")?.[0];
    const expected = routing === "folder" ? `${server.url}/${publicUrl.split("/")[3]}/` : `${server.tunnelUrl(name ?? "?")}/`;
    expect(publicUrl).toBe(expected);
    if (routing === "folder") expect(new URL(localUrl).pathname).toBe(new URL(publicUrl).pathname);
    else expect(new URL(localUrl).pathname).toBe("/");
  });

  it("serves the app through the public URL: assets, CSS modules, client routing, SSE, no errors", async () => {
    await using watched = await watchedPage(browser);
    const { page, problems } = watched;
    await page.goto(publicUrl);
    await page.locator("#greeting").getByText("Hello from the captun playground").waitFor();
    expect(await page.evaluate(() => (document.querySelector("#logo") as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    const border = await page.evaluate(() => getComputedStyle(document.querySelector("#app > div")!).borderTopColor);
    expect(border).toBe("rgb(29, 78, 216)");
    await page
      .locator("#time")
      .getByText(/^\d{4}-/)
      .waitFor();
    await page.click("#about-link");
    await page.locator("#route").getByText("About this playground").waitFor();
    expect(new URL(page.url()).pathname).toBe(`${new URL(publicUrl).pathname}about`);
    await page.reload();
    await page.locator("#route").getByText("About this playground").waitFor();
    expect(problems).toEqual([]);
  });

  it("hot-reloads an edited module in a browser on the public URL, without a full reload", async () => {
    await using watched = await watchedPage(browser);
    const { page, problems } = watched;
    // Edit only once the HMR socket (through the tunnel) is up, or the update has nowhere to go.
    const hmrConnected = page.waitForEvent("console", {
      predicate: (message) => message.text().includes("[vite] connected"),
      timeout: 15_000,
    });
    await page.goto(publicUrl);
    await hmrConnected;
    await page.locator("#greeting").getByText("Hello from the captun playground").waitFor();
    await page.evaluate(() => {
      (window as { marker?: string }).marker = "still here";
    });
    const file = join(root, "src/greeting.ts");
    const source = await readFile(file, "utf8");
    await editFile(file, source.replace("Hello from the captun playground", `Edited under ${routing} routing`));
    await page.locator("#greeting").getByText(`Edited under ${routing} routing`).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (window as { marker?: string }).marker)).toBe("still here");
    expect(await page.evaluate(() => (window as { pageLoads?: number }).pageLoads)).toBe(1);
    await editFile(file, source);
    await page.locator("#greeting").getByText("Hello from the captun playground").waitFor({ timeout: 15_000 });
    expect(problems).toEqual([]);
  });

  it("allows only the exact public host: a foreign Host is still refused locally", async () => {
    const publicHost = new URL(publicUrl).host;
    expect(await statusWithHost(localUrl, "evil.example")).toBe(403);
    expect(await statusWithHost(localUrl, `${new URL(publicUrl).hostname}.evil.example`)).toBe(403);
    expect(await statusWithHost(localUrl, publicHost)).toBe(200);
  });
});

describe("`vite` with captun() when the tunnel cannot open", () => {
  it("keeps the local server running and says what to do", async () => {
    await using home = await configHome({
      serverUrl: "http://localhost:9",
      secret: "x",
      routing: "subdomain",
      customHostname: "localhost",
    });
    await using app = await copyApp();
    await using vite = runVite(app.root, ["--port", "0"], { XDG_CONFIG_HOME: home.dir });
    const [, localUrl = ""] = (await vite.waitForOutput(/➜\s+Local:\s+(\S+)/)) as string[];
    await vite.waitForOutput(/cannot open the tunnel yet .*npx captun server/);
    const response = await visit(localUrl);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("/src/main.ts");
  });

  it("with no captun config at all, runs and explains how to set one up", async () => {
    await using home = await configHome({});
    await using app = await copyApp();
    await using vite = runVite(app.root, ["--port", "0"], { XDG_CONFIG_HOME: home.dir });
    const [, localUrl = ""] = (await vite.waitForOutput(/➜\s+Local:\s+(\S+)/)) as string[];
    await vite.waitForOutput(/No captun server is configured\. Run `npx captun server`/);
    expect(vite.output()).toMatch(/Public:\s+not shared/);
    expect((await visit(localUrl)).status).toBe(200);
  });
});

/** The status of a GET to `url` sent with `Host: host` (fetch() would not let a test set Host). */
