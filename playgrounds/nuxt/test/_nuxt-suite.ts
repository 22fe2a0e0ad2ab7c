// The `nuxt dev` suite, run once per routing mode from its own test file (one captun server and one
// Nuxt dev server per file, so the two run in parallel): `modules: ["@captun/nuxt"]`, private by
// default as users get it, opened in Chromium through the printed owner's link.
import { describe, expect, it } from "vitest";
import type { RoutingMode } from "../../../packages/core/src/routing.ts";
import { expectBlocked, rawGet } from "../../../packages/core/test/_dev-endpoints.ts";
import {
  expectBodyRoundTrip,
  expectHotUpdate,
  expectOnlyPublicHost,
  expectSeesPublicUrl,
  expectServerRendered,
  itIsPrivateByDefault,
  sharedDevServer,
} from "../../../packages/core/test/_framework-checks.ts";
import { copyApp, runNuxtDev } from "./_nuxt-harness.ts";

const GREETING = "Hello from the captun Nuxt playground";
const HOME = {
  greeting: { selector: "#greeting", text: GREETING },
  ready: "main[data-hydrated=true]",
  hmrConnected: "[vite] connected",
  timeoutMs: 60_000,
};

export function nuxtSuite(routing: RoutingMode): void {
  describe(`\`nuxt dev\` with @captun/nuxt under ${routing} routing`, () => nuxtTests(routing));
}

function nuxtTests(routing: RoutingMode): void {
  const app = sharedDevServer({
    routing,
    copyApp,
    start: (root, env) => runNuxtDev(root, ["--port", "0", "--host", "127.0.0.1"], env),
    localLine: /➜ Local:\s+(\S+)/,
    publicLine: /➜ Public:\s+(\S+)/,
    timeoutMs: 90_000,
  });

  it("prints the public URL right after Nuxt's own URLs", () => {
    const lines = app.process.output().split("\n");
    expect(lines.findIndex((line) => line.includes("Public:"))).toBeGreaterThan(lines.findIndex((line) => line.includes("Local:")));
    const { pathname } = new URL(app.publicUrl);
    expect(pathname).toBe(routing === "folder" ? `/${pathname.split("/")[1]}/` : "/");
  });

  it("renders server-side with the public origin, hydrates, navigates and fetches its API, with no errors", async () => {
    await using watched = await app.page();
    await expectServerRendered(app, watched, HOME, 1);
    const { page, problems } = watched;
    await page.click("#about-link");
    await page.locator("#about").getByText("About this playground").waitFor();
    expect(page.url()).toBe(`${app.publicUrl}about`);
    await page.locator("#api-url").getByText(`${app.publicUrl}api/echo`).waitFor();
    expect(problems).toEqual([]);
  });

  it("hot-updates an edited component in a browser on the public URL, without a full reload", async () => {
    await using watched = await app.page();
    await expectHotUpdate(app, watched, HOME, {
      file: "app/components/Greeting.vue",
      from: GREETING,
      to: `Edited under ${routing} routing`,
    });
  });

  it("answers a server API route with the public URL and streams a request body through it", async () => {
    await expectSeesPublicUrl(app, "api/echo?q=1");
    await expectBodyRoundTrip(app);
  });

  it("keeps Nitro's virtual file system and Nuxt's DevTools pages local, even for the owner", async () => {
    const prefix = new URL(app.publicUrl).pathname.replace(/\/$/, "");
    const targets = [`${prefix}/_vfs`, `${prefix}/_vfs.json`, `${prefix}/%5Fvfs`, `${prefix}/__nuxt_devtools__/client/`];
    await expectBlocked(app.publicUrl, targets, { cookie: app.cookie });
    // Locally Nitro still lists its virtual files: what the tunnel refused is real.
    const local = await rawGet(app.localUrl, "/_vfs");
    expect(local.status).toBe(200);
    expect(local.body).toContain("nitro");
  });

  it("allows exactly the public host in Vite's host check", async () => {
    const asset = `${new URL(app.publicUrl).pathname}_nuxt/@vite/client`;
    await expectOnlyPublicHost(app, new URL(asset, app.localUrl).href);
  });

  itIsPrivateByDefault(app, HOME, {
    paths: ["about", "api/echo", "_nuxt/@vite/client", "_nuxt/app/components/Greeting.vue"],
    socket: { path: "_nuxt/", protocol: "vite-hmr" },
  });
}
