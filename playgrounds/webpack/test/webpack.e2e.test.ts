// `webpack serve` (webpack-dev-server 6) with `plugins: [captun()]` from `captun/webpack`, private by
// default as users get it: one captun server and one dev server for the whole file, opened in
// Chromium through the printed owner's link.
import { expect, it } from "vitest";
import {
  expectBodyRoundTrip,
  expectHotUpdate,
  expectOnlyPublicHost,
  itIsPrivateByDefault,
  sharedDevServer,
} from "../../../packages/core/test/_framework-checks.ts";
import { copyApp, runWebpackServe } from "./_webpack-harness.ts";

const GREETING = "Hello from the captun webpack playground";
// The greeting is rendered by the bundle: seeing it means the app's JavaScript runs.
const HOME = { greeting: { selector: "#greeting", text: GREETING }, hmrConnected: "[webpack-dev-server] connected" };

const app = sharedDevServer({
  copyApp,
  start: (root, env) => runWebpackServe(root, ["--port", "0", "--host", "127.0.0.1"], env),
  localLine: /Loopback: (http\S+?),?\s/,
  publicLine: /\[captun\] Public: (\S+)/,
});

it("prints the public URL after webpack-dev-server's own URLs", () => {
  const output = app.process.output();
  expect(output.indexOf("[captun] Public:")).toBeGreaterThan(output.indexOf("Loopback:"));
  expect(new URL(app.publicUrl).hostname).toMatch(/^playground-webpack-[a-z0-9]+\.localhost$/);
});

it("serves the page and its bundle through the public URL, and hot-replaces an edited module without a reload", async () => {
  await using watched = await app.page();
  await expectHotUpdate(app, watched, HOME, {
    file: "src/greeting.js",
    from: GREETING,
    to: "Edited through the tunnel",
  });
});

it("answers the dev server's own API middleware with the public host, streaming a body both ways", async () => {
  const answer = await expectBodyRoundTrip(app);
  expect(answer.host).toBe(new URL(app.publicUrl).host);
});

it("allows exactly the public host: other hosts stay refused locally", async () => {
  await expectOnlyPublicHost(app);
});

itIsPrivateByDefault(app, HOME, { paths: ["main.js", "api/echo"], socket: { path: "ws" } });
