// `rsbuild dev` with `plugins: [captun()]` from `captun/rsbuild`, once per routing mode (each with
// its own captun server and dev server), private by default as users get it, opened in Chromium
// through the printed owner's link.
import { describe, expect, it } from "vitest";
import type { RoutingMode } from "../../../packages/core/src/routing.ts";
import {
  expectBodyRoundTrip,
  expectHotUpdate,
  expectOnlyPublicHost,
  itIsPrivateByDefault,
  sharedDevServer,
} from "../../../packages/core/test/_framework-checks.ts";
import { copyApp, runRsbuildDev } from "./_rspack-harness.ts";

const GREETING = "Hello from the captun Rspack playground";
// The greeting is rendered by the bundle: seeing it means the app's JavaScript runs.
const HOME = { greeting: { selector: "#greeting", text: GREETING }, hmrConnected: "[rsbuild] WebSocket connected" };

describe.each<RoutingMode>(["subdomain", "folder"])("`rsbuild dev` with captun() under %s routing", (routing) => {
  const app = sharedDevServer({
    routing,
    copyApp,
    start: (root, env) => runRsbuildDev(root, ["--port", "0"], env),
  });

  it("prints the public URL after Rsbuild's local one, in the same folder under folder routing", () => {
    const lines = app.process.output().split("\n");
    expect(lines.findIndex((line) => line.includes("Public:"))).toBeGreaterThan(lines.findIndex((line) => line.includes("Local:")));
    expect(new URL(app.localUrl).pathname).toBe(new URL(app.publicUrl).pathname);
  });

  it("serves the page and its bundle through the public URL, and hot-replaces an edited module without a reload", async () => {
    // A failed HMR socket through the tunnel would show as a problem (Rsbuild then falls back to a direct one).
    await using watched = await app.page();
    await expectHotUpdate(app, watched, HOME, {
      file: "src/greeting.js",
      from: GREETING,
      to: `Edited under ${routing} routing`,
    });
  });

  it("answers the dev server's API middleware with the public host, streaming a body both ways", async () => {
    const answer = await expectBodyRoundTrip(app);
    expect(answer.host).toBe(new URL(app.publicUrl).host);
  });

  it("adds exactly the public host to the hosts the config allows", async () => {
    await expectOnlyPublicHost(app);
  });

  itIsPrivateByDefault(app, HOME, {
    paths: ["static/js/index.js", "api/echo"],
    socket: { path: "rsbuild-hmr" },
  });
});
