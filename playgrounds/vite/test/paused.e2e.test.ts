// The Vite plugin's tunnel lives in Vite's own process, so a breakpoint in a plugin or a server
// route stops it too. Paused past the server's silence limit, it must say why the tunnel dropped
// and share the app again under the same URL once Vite runs again.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, visit } from "../../../packages/core/test/_harness.ts";
import { configHome, copyApp, type RunningCli, runVite } from "./_vite-harness.ts";

let cleanup: AsyncDisposableStack;
let vite: RunningCli;
let publicUrl: string;

beforeAll(async () => {
  cleanup = new AsyncDisposableStack();
  const server = cleanup.use(await startTestServer({ routing: "folder" }));
  const home = cleanup.use(await configHome({ serverUrl: server.url, secret: server.secret, routing: "folder" }));
  const app = cleanup.use(await copyApp());
  vite = cleanup.use(runVite(app.root, ["--port", "0"], { XDG_CONFIG_HOME: home.dir, CAPTUN_ACCESS: "public" }));
  await vite.waitForOutput(/captun: public URL \S+ is live/);
  [, publicUrl = ""] = (await vite.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
});
afterAll(async () => {
  await cleanup?.disposeAsync();
});

it("says the server heard nothing from the paused dev server, and shares the app again under the same URL", async () => {
  expect((await visit(publicUrl)).status).toBe(200);
  vite.child.kill("SIGSTOP");
  try {
    // A POST is never held for a returning client: 503 says the server dropped the tunnel.
    await expect.poll(async () => (await visit(publicUrl, { method: "POST" })).status, { timeout: 20_000, interval: 250 }).toBe(503);
  } finally {
    vite.child.kill("SIGCONT");
  }
  await vite.waitForOutput(
    /captun: tunnel dropped \(the captun server heard nothing from this process for 8 s .*breakpoint.*\); reconnecting/,
  );
  await expect.poll(() => vite.output().match(/captun: public URL \S+ is live/g)?.length, { timeout: 10_000 }).toBe(2);
  const page = await visit(publicUrl);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("/@vite/client");
});
