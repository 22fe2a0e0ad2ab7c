// Astro's dev toolbar and error overlay open files through Vite's `/__open-in-editor`, and Astro
// serves the project's absolute path to Chrome DevTools: through the tunnel both answer 404 and
// nothing is launched; on the local URL the editor still opens.
import { afterAll, beforeAll, expect, it } from "vitest";
import { endpointSpellings, expectBlocked, type FakeEditor, fakeEditor, rawGet } from "../../../packages/core/test/_dev-endpoints.ts";
import { startTestServer, uniqueName } from "../../../packages/core/test/_harness.ts";
import { configHome, copyApp, type RunningProcess, startAstroDev } from "./_astro-harness.ts";

let cleanup: AsyncDisposableStack;
let editor: FakeEditor;
let astro: RunningProcess;
let localUrl: string;
let publicUrl: string;

beforeAll(async () => {
  cleanup = new AsyncDisposableStack();
  const home = cleanup.use(await configHome());
  const server = cleanup.use(await startTestServer());
  editor = cleanup.use(await fakeEditor());
  const app = cleanup.use(await copyApp());
  const name = uniqueName("astro-dev");
  publicUrl = `${server.tunnelUrl(name)}/`;
  const options = { name, serverUrl: server.url, secret: server.secret, customHostname: server.customHostname, qr: false };
  astro = cleanup.use(
    startAstroDev(app.root, options, { XDG_CONFIG_HOME: home.dir, LAUNCH_EDITOR: editor.command, CAPTUN_ACCESS: "public" }),
  );
  [, localUrl = ""] = (await astro.waitForOutput(/^local (\S+)/m)) as string[];
  await astro.waitForOutput(/public URL \S+ is live/);
});
afterAll(async () => {
  await cleanup?.disposeAsync();
});

it("says under the public URL what visitors can reach", async () => {
  await astro.waitForOutput(/module source and HMR.*editor and file endpoints stay local.*docs\/security\.md/);
});

it("blocks /__open-in-editor and the DevTools workspace file through the tunnel, and opens the editor locally", async () => {
  await expectBlocked(publicUrl, [
    ...endpointSpellings("", "/__open-in-editor", "?file=src/pages/index.astro:11:1"),
    "/.well-known/appspecific/com.chrome.devtools.json",
  ]);
  expect((await rawGet(publicUrl, "/")).status).toBe(200);

  const local = await rawGet(localUrl, "/__open-in-editor?file=src/pages/index.astro:22:1");
  expect(local.status).toBe(200);
  await expect.poll(() => editor.launches(), { timeout: 10_000 }).toHaveLength(1);
  expect((await editor.launches())[0]).toMatch(/index\.astro 22 1$/);
});
