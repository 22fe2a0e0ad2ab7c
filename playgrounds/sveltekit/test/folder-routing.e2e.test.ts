// SvelteKit under folder routing: it routes below its own `paths.base`, not Vite's base, so it is
// shared when that base is the tunnel's folder (and refused with directions otherwise: see
// packages/core/test/framework-base.test.ts). One captun server and one dev server for the file.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, uniqueName, visit } from "../../../packages/core/test/_harness.ts";
import { configHome, copyApp, launchChromium, type RunningProcess, runViteDev, watchedPage } from "./_sveltekit-harness.ts";

let cleanup: AsyncDisposableStack;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let vite: RunningProcess;
let localUrl: string;
let publicUrl: string;
let name: string;

beforeAll(async () => {
  cleanup = new AsyncDisposableStack();
  const server = cleanup.use(await startTestServer({ routing: "folder" }));
  const home = cleanup.use(await configHome({ serverUrl: server.url, secret: server.secret, routing: "folder" }));
  browser = cleanup.use(await launchChromium());
  name = uniqueName("kit");
  const config = [
    'import captun from "@captun/vite";',
    'import { sveltekit } from "@sveltejs/kit/vite";',
    `export default { plugins: [sveltekit({ paths: { base: "/${name}" } }), captun({ name: "${name}" })] };`,
  ].join("\n");
  const app = cleanup.use(await copyApp({ "vite.config.ts": config }));
  vite = cleanup.use(runViteDev(app.root, ["--port", "0"], { XDG_CONFIG_HOME: home.dir, CAPTUN_ACCESS: "public" }));
  [, localUrl = ""] = (await vite.waitForOutput(/➜\s+Local:\s+(\S+)/, 60_000)) as string[];
  [, publicUrl = ""] = (await vite.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
  await vite.waitForOutput(/captun: public URL \S+ is live/);
}, 90_000);
afterAll(async () => {
  await cleanup?.disposeAsync();
});

it("serves the app below the folder when SvelteKit's paths.base is that folder", async () => {
  expect(publicUrl).toMatch(new RegExp(`/${name}/$`));
  expect(new URL(localUrl).pathname).toMatch(new RegExp(`^/${name}/?$`));
  await using watched = await watchedPage(browser);
  const { page, problems } = watched;
  await page.goto(publicUrl);
  await page.locator("#greeting").getByText("Hello from the captun SvelteKit playground").waitFor();
  await page.waitForSelector("main[data-hydrated=true]", { timeout: 30_000 });
  await page.click("#increment");
  await page.locator("#count").getByText("1").waitFor();
  // Client-side navigation stays inside the folder.
  await page.click("#form-link");
  await page.waitForSelector("form[data-hydrated=true]", { timeout: 30_000 });
  expect(new URL(page.url()).pathname).toBe(`/${name}/form`);
  await page.fill("#message", "in a folder");
  await page.click("#send");
  await page.locator("#echoed").getByText("IN A FOLDER").waitFor();
  expect(problems).toEqual([]);
  const api = (await (await visit(`${publicUrl}api/echo`)).json()) as { url: string };
  expect(api.url).toBe(`${publicUrl}api/echo`);
});
