// Vite's `/__open-in-editor` launches the developer's editor: through the tunnel it answers 404
// and launches nothing, on the local URL it keeps working.
import { afterAll, beforeAll, expect, it } from "vitest";
import { endpointSpellings, expectBlocked, type FakeEditor, fakeEditor, rawGet } from "../../../packages/core/test/_dev-endpoints.ts";
import { startTestServer } from "../../../packages/core/test/_harness.ts";
import { configHome, copyApp, type RunningCli, runVite } from "./_vite-harness.ts";

let cleanup: AsyncDisposableStack;
let editor: FakeEditor;
let vite: RunningCli;
let localUrl: string;
let publicUrl: string;

beforeAll(async () => {
  cleanup = new AsyncDisposableStack();
  // Folder routing: the endpoint sits behind Vite's base, the hard case for matching.
  const server = cleanup.use(await startTestServer({ routing: "folder" }));
  const home = cleanup.use(await configHome({ serverUrl: server.url, secret: server.secret, routing: "folder" }));
  editor = cleanup.use(await fakeEditor());
  const app = cleanup.use(await copyApp());
  vite = cleanup.use(
    runVite(app.root, ["--port", "0"], { XDG_CONFIG_HOME: home.dir, LAUNCH_EDITOR: editor.command, CAPTUN_ACCESS: "public" }),
  );
  await vite.waitForOutput(/captun: public URL \S+ is live/);
  [, localUrl = ""] = (await vite.waitForOutput(/➜\s+Local:\s+(\S+)/)) as string[];
  [, publicUrl = ""] = (await vite.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
});
afterAll(async () => {
  await cleanup?.disposeAsync();
});

it("says under the public URL what visitors can reach", () => {
  const lines = vite.output().split("\n");
  const publicLine = lines.findIndex((line) => line.includes("Public:"));
  expect(lines[publicLine + 1]).toMatch(/module source and HMR.*editor and file endpoints stay local.*docs\/security\.md/);
});

it("answers /__open-in-editor with 404 through the tunnel in every spelling, and launches no editor", async () => {
  const prefix = new URL(publicUrl).pathname.replace(/\/$/, "");
  await expectBlocked(publicUrl, endpointSpellings(prefix, "/__open-in-editor", "?file=index.html:11:1"));
  // The app and its module source stay reachable.
  expect((await rawGet(publicUrl, `${prefix}/@vite/client`)).status).toBe(200);
  expect((await rawGet(publicUrl, `${prefix}/src/main.ts`)).status).toBe(200);

  // Locally the same endpoint still opens the editor; once it has, nothing from the tunnel did.
  const local = await rawGet(localUrl, `${new URL(localUrl).pathname}__open-in-editor?file=index.html:22:1`);
  expect(local.status).toBe(200);
  await expect.poll(() => editor.launches(), { timeout: 10_000 }).toHaveLength(1);
  expect((await editor.launches())[0]).toMatch(/index\.html 22 1$/);
});
