// `vite preview` of a React Router (framework mode) build: React Router's Vite plugin serves the
// built server bundle from the preview server, and `captun()` shares that server in-process, as for
// `react-router dev`. Subdomain routing, private by default. One build (`react-router build`, in a
// throwaway copy) and one preview for the file.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { configHome, launchChromium, type RunningProcess, runNode, watchedPage } from "../../../packages/core/test/_apps.ts";
import { startTestServer } from "../../../packages/core/test/_harness.ts";
import {
  copyPlayground,
  expectPrivateWithExactHost,
  lineAfter,
  previewStarted,
  runToEnd,
  type StartedPreview,
} from "../../../packages/core/test/_preview.ts";

const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const REACT_ROUTER_BIN = join(PLAYGROUND, "node_modules/@react-router/dev/bin.cjs");
const VITE_BIN = join(PLAYGROUND, "node_modules/vite/bin/vite.js");

let cleanup: AsyncDisposableStack;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let preview: RunningProcess;
let started: StartedPreview;

beforeAll(async () => {
  cleanup = new AsyncDisposableStack();
  const app = cleanup.use(await copyPlayground(PLAYGROUND, ["app", "vite.config.ts", "react-router.config.ts", "package.json"]));
  const [server, chromium] = await Promise.all([
    startTestServer(),
    launchChromium(),
    runToEnd([REACT_ROUTER_BIN, "build", "--logLevel", "warn"], app.root),
  ]);
  cleanup.use(server);
  browser = cleanup.use(chromium);
  const home = cleanup.use(
    await configHome({ serverUrl: server.url, secret: server.secret, routing: "subdomain", customHostname: server.customHostname }),
  );
  preview = cleanup.use(runNode([VITE_BIN, "preview", "--port", "0"], app.root, { XDG_CONFIG_HOME: home.dir }));
  started = await previewStarted(preview);
}, 120_000);
afterAll(async () => {
  await cleanup?.disposeAsync();
});

it("prints the owner's link right under the preview's local URL", () => {
  expect(lineAfter(preview.output(), "Local:")).toContain(`Public:  ${started.printedUrl}`);
  expect(new URL(started.appUrl).hostname).toMatch(/^playground-react-router-[a-z0-9]+\.localhost$/);
  expect(started.token).toMatch(/^v1\./);
});

it("server-renders with the public origin, hydrates and runs a form action of the build", async () => {
  await using watched = await watchedPage(browser);
  const { page, problems } = watched;
  await page.goto(started.printedUrl);
  expect(page.url()).toBe(started.appUrl);
  await page.locator("#greeting").getByText("Hello from the captun React Router playground").waitFor();
  expect(await page.locator("#origin").textContent()).toBe(new URL(started.appUrl).origin);
  await page.waitForSelector("main[data-hydrated=true]", { timeout: 30_000 });
  await page.click("#increment");
  await page.locator("#count").getByText("1").waitFor();
  await page.click("#form-link");
  await page.waitForSelector("form[data-hydrated=true]", { timeout: 30_000 });
  await page.fill("#message", "from a preview");
  await page.click("#send");
  await page.locator("#echoed").getByText("FROM A PREVIEW").waitFor();
  expect(problems).toEqual([]);
});

it("answers an anonymous visitor 401, and lets only the public host past the preview's host check", async () => {
  await expectPrivateWithExactHost(started, ["", "form", "api/echo"], async (response) => {
    expect(await response.text()).not.toContain("captun React Router playground");
  });
});
