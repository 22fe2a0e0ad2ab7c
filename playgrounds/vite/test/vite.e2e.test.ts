// `vite` with captun() once per routing mode (each with its own captun server and dev server),
// private by default as users get it: the printed owner's link opens the app in Chromium, anonymous
// visitors get the 401 page and not one byte of the app, its modules or its HMR socket.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { RoutingMode } from "../../../packages/core/src/routing.ts";
import {
  expectHotUpdate,
  expectOnlyPublicHost,
  expectPublicUrlUnderLocal,
  itIsPrivateByDefault,
  sharedDevServer,
} from "../../../packages/core/test/_framework-checks.ts";
import { visit } from "../../../packages/core/test/_harness.ts";
import { configHome, copyApp, runVite } from "./_vite-harness.ts";

const GREETING = "Hello from the captun playground";
const HOME = { greeting: { selector: "#greeting", text: GREETING }, hmrConnected: "[vite] connected" };

describe.each<RoutingMode>(["subdomain", "folder"])("`vite` with captun() under %s routing", (routing) => {
  const app = sharedDevServer({ routing, copyApp, start: (root, env) => runVite(root, ["--port", "0"], env) });

  it("prints the public URL right under the local one, with the stable project name", async () => {
    const saved = JSON.parse(await readFile(app.configFile, "utf8")) as { projects: Record<string, string> };
    expect(Object.values(saved.projects)).toHaveLength(1);
    expectPublicUrlUnderLocal(app);
    const { publicUrl, server, localUrl } = app;
    const name = /[a-z0-9-]+-[a-z0-9]+/.exec(new URL(publicUrl).hostname.split(".")[0] ?? "")?.[0];
    const expected = routing === "folder" ? `${server.url}/${publicUrl.split("/")[3]}/` : `${server.tunnelUrl(name ?? "?")}/`;
    expect(publicUrl).toBe(expected);
    if (routing === "folder") expect(new URL(localUrl).pathname).toBe(new URL(publicUrl).pathname);
    else expect(new URL(localUrl).pathname).toBe("/");
  });

  it("serves the app through the public URL: assets, CSS modules, client routing, SSE, no errors", async () => {
    await using watched = await app.page();
    const { page, problems } = watched;
    await page.goto(app.publicUrl);
    await page.locator("#greeting").getByText(GREETING).waitFor();
    expect(await page.evaluate(() => (document.querySelector("#logo") as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    const border = await page.evaluate(() => getComputedStyle(document.querySelector("#app > div")!).borderTopColor);
    expect(border).toBe("rgb(29, 78, 216)");
    await page
      .locator("#time")
      .getByText(/^\d{4}-/)
      .waitFor();
    await page.click("#about-link");
    await page.locator("#route").getByText("About this playground").waitFor();
    expect(new URL(page.url()).pathname).toBe(`${new URL(app.publicUrl).pathname}about`);
    await page.reload();
    await page.locator("#route").getByText("About this playground").waitFor();
    expect(problems).toEqual([]);
  });

  it("hot-reloads an edited module in a browser on the public URL, without a full reload", async () => {
    await using watched = await app.page();
    await expectHotUpdate(app, watched, HOME, {
      file: "src/greeting.ts",
      from: GREETING,
      to: `Edited under ${routing} routing`,
    });
    // The app counts its own page loads too.
    expect(await watched.page.evaluate(() => (window as { pageLoads?: number }).pageLoads)).toBe(1);
  });

  it("allows only the exact public host: a foreign Host is still refused locally", async () => {
    await expectOnlyPublicHost(app);
  });

  itIsPrivateByDefault(app, HOME, {
    paths: ["src/main.ts", "@vite/client", "src/greeting.ts", "api/time"],
    socket: { protocol: "vite-hmr" },
  });

  it("never gates the local URL", async () => {
    const response = await visit(app.localUrl);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("/src/main.ts");
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
    // The explanation and Vite's banner are printed by different hooks, in either order.
    await vite.waitForOutput(/Public:\s+not shared/);
    expect((await visit(localUrl)).status).toBe(200);
  });
});
