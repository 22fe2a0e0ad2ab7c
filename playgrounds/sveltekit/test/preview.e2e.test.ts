// `vite preview` of a SvelteKit build, shared by the same `captun()` as `vite dev`, under folder
// routing: SvelteKit's `paths.base` is the tunnel's folder, so the preview serves the app inside it
// and captun re-adds the folder the Worker strips. Private by default: the printed owner's link is
// the way in. One build (in a throwaway copy) and one preview for the file.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { configHome, launchChromium, type RunningProcess, runNode, watchedPage } from "../../../packages/core/test/_apps.ts";
import { startTestServer, uniqueName } from "../../../packages/core/test/_harness.ts";
import {
  copyPlayground,
  expectPrivateWithExactHost,
  lineAfter,
  previewStarted,
  runToEnd,
  type StartedPreview,
} from "../../../packages/core/test/_preview.ts";

const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const VITE_BIN = "node_modules/vite/bin/vite.js";

let cleanup: AsyncDisposableStack;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let preview: RunningProcess;
let started: StartedPreview;
let name: string;

beforeAll(async () => {
  cleanup = new AsyncDisposableStack();
  name = uniqueName("kit-preview");
  const config = [
    'import captun from "@captun/vite";',
    'import { sveltekit } from "@sveltejs/kit/vite";',
    `export default { plugins: [sveltekit({ paths: { base: "/${name}" } }), captun({ name: "${name}" })] };`,
  ].join("\n");
  const app = cleanup.use(await copyPlayground(PLAYGROUND, ["src", "package.json"], { "vite.config.ts": config }));
  const [server, chromium] = await Promise.all([
    startTestServer({ routing: "folder" }),
    launchChromium(),
    runToEnd([`${PLAYGROUND}/${VITE_BIN}`, "build", "--logLevel", "warn"], app.root),
  ]);
  cleanup.use(server);
  browser = cleanup.use(chromium);
  const home = cleanup.use(await configHome({ serverUrl: server.url, secret: server.secret, routing: "folder" }));
  preview = cleanup.use(runNode([`${PLAYGROUND}/${VITE_BIN}`, "preview", "--port", "0"], app.root, { XDG_CONFIG_HOME: home.dir }));
  started = await previewStarted(preview);
}, 120_000);
afterAll(async () => {
  await cleanup?.disposeAsync();
});

it("prints the owner's link to the folder right under the preview's local URL", () => {
  expect(lineAfter(preview.output(), "Local:")).toContain(`Public:  ${started.printedUrl}`);
  expect(started.appUrl).toMatch(new RegExp(`/${name}/$`));
  expect(new URL(started.localUrl).pathname).toMatch(new RegExp(`^/${name}/?$`));
  expect(started.token).toMatch(/^v1\./);
});

it("renders, hydrates and runs a form action of the built app through the owner's link", async () => {
  await using watched = await watchedPage(browser);
  const { page, problems } = watched;
  await page.goto(started.printedUrl);
  expect(page.url()).toBe(started.appUrl);
  await page.locator("#greeting").getByText("Hello from the captun SvelteKit playground").waitFor();
  // The server `load` of the build saw the URL the visitor used.
  expect(await page.locator("#origin").textContent()).toBe(new URL(started.appUrl).origin);
  await page.waitForSelector("main[data-hydrated=true]", { timeout: 30_000 });
  await page.click("#increment");
  await page.locator("#count").getByText("1").waitFor();
  await page.click("#form-link");
  await page.waitForSelector("form[data-hydrated=true]", { timeout: 30_000 });
  expect(new URL(page.url()).pathname).toBe(`/${name}/form`);
  await page.fill("#message", "from a preview");
  await page.click("#send");
  await page.locator("#echoed").getByText("FROM A PREVIEW").waitFor();
  expect(problems).toEqual([]);
});

it("answers an anonymous visitor 401, and lets only the public host past the preview's host check", async () => {
  await expectPrivateWithExactHost(started, ["", "form", "api/echo"], (response) => {
    expect(response.headers.get("x-captun-error")).toBe("access-required");
  });
});
