// The plugin driven through Vite's JavaScript API: restarts keep the tunnel, close ends it, and a
// build never touches it.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import captun from "@captun/vite";
import { build, createServer } from "vite";
import { expect, it } from "vitest";
import { startTestServer, uniqueName, visit, waitFor } from "../../../packages/core/test/_harness.ts";
import { devApi } from "../dev-api.ts";
import { configHome, copyApp } from "./_vite-harness.ts";

async function statusOf(url: string): Promise<number> {
  const response = await visit(url);
  await response.body?.cancel();
  return response.status;
}

it("keeps the public URL through a restart (config edit) and stops sharing when Vite closes", async () => {
  await using server = await startTestServer({ routing: "subdomain" });
  await using home = await configHome({});
  await using app = await copyApp();
  const name = uniqueName("vite");
  const publicUrl = `${server.tunnelUrl(name)}/`;
  const vite = await createServer({
    root: app.root,
    configFile: false,
    mode: "development",
    logLevel: "silent",
    server: { port: 0 },
    plugins: [
      captun({ name, serverUrl: server.url, secret: server.secret, routing: "subdomain", configPath: home.file, access: "public" }),
      devApi(),
    ],
  });
  try {
    await vite.listen();
    await waitFor(async () => (await statusOf(publicUrl)) === 200, 15_000, "the public URL to answer");
    await vite.restart();
    // The restarted server took the live tunnel over: the URL never went offline.
    expect(await statusOf(publicUrl)).toBe(200);
    expect(await (await visit(`${publicUrl}src/greeting.ts`)).text()).toContain("Hello from the captun playground");
  } finally {
    await vite.close();
  }
  await waitFor(async () => (await statusOf(publicUrl)) === 503, 15_000, "the public URL to go offline");
});

it("leaves `vite build` alone: no base change, no tunnel, no saved name", async () => {
  await using home = await configHome({ serverUrl: "http://127.0.0.1:9", secret: "x", routing: "folder" });
  await using app = await copyApp();
  await build({ root: app.root, configFile: false, logLevel: "silent", plugins: [captun({ configPath: home.file })] });
  const html = await readFile(join(app.root, "dist/index.html"), "utf8");
  expect(html).toMatch(/src="\/assets\/index-[\w-]+\.js"/);
  expect(JSON.parse(await readFile(home.file, "utf8")).projects).toBeUndefined();
});
