// `vite preview` of a SolidStart build: SolidStart's Vite plugin serves the built server entry from
// the preview server (no Nitro here), and `captun()` shares that server in-process, as for `vite dev`.
// Subdomain routing (SolidStart is refused under folder routing, see docs/frameworks.md), private
// by default. One build (in a throwaway copy) and one preview for the file.
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
const VITE_BIN = join(PLAYGROUND, "node_modules/vite/bin/vite.js");

let cleanup: AsyncDisposableStack;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let preview: RunningProcess;
let started: StartedPreview;

beforeAll(async () => {
  cleanup = new AsyncDisposableStack();
  const app = cleanup.use(await copyPlayground(PLAYGROUND, ["src", "vite.config.ts", "package.json"]));
  const [server, chromium] = await Promise.all([
    startTestServer(),
    launchChromium(),
    runToEnd([VITE_BIN, "build", "--logLevel", "warn"], app.root),
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
  expect(new URL(started.appUrl).hostname).toMatch(/^playground-solid-start-[a-z0-9]+\.localhost$/);
  expect(started.token).toMatch(/^v1\./);
});

it("server-renders the build with the public origin and hydrates it, through the owner's link", async () => {
  await using watched = await watchedPage(browser);
  const { page, problems } = watched;
  await page.goto(started.printedUrl);
  expect(page.url()).toBe(started.appUrl);
  await page.locator("#greeting").getByText("Hello from the captun SolidStart playground").waitFor();
  expect(await page.locator("#origin").textContent()).toBe(new URL(started.appUrl).origin);
  await page.waitForSelector("main[data-hydrated=true]", { timeout: 30_000 });
  await page.click("#increment");
  await page.locator("#count").getByText("1").waitFor();
  expect(problems).toEqual([]);
});

it("answers an anonymous visitor 401, and lets only the public host past the preview's host check", async () => {
  await expectPrivateWithExactHost(started, ["", "api/echo"], async (response) => {
    expect(await response.text()).not.toContain("captun SolidStart playground");
  });
});
