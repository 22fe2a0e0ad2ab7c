// `storybook dev` (Vite builder) with captun() in vite.config.ts: Storybook runs Vite in middleware
// mode inside its own server and hands Vite that server for HMR, which captun shares. One captun
// server and one Storybook for the whole file, opened in Chromium through the printed public URL.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { editFile, freePort } from "../../../packages/core/test/_apps.ts";
import { expectBlocked } from "../../../packages/core/test/_dev-endpoints.ts";
import { startTestServer } from "../../../packages/core/test/_harness.ts";
import {
  configHome,
  copyApp,
  launchChromium,
  type RunningProcess,
  runStorybookDev,
  statusWithHost,
  watchedPage,
} from "./_storybook-harness.ts";

// captun refuses Storybook's server channel through the tunnel (it carries editor and story-file
// writes, and its token is in the page any visitor loads): Storybook then logs the refused socket
// and, in the manager, timeouts of the stores that sync over it. Nothing else may go wrong.
const channelRefused = (problem: string) =>
  problem.includes("/storybook-server-channel?") || problem.includes("Timed out waiting for leader state for UniversalStore");

let browser: Awaited<ReturnType<typeof launchChromium>>;
let cleanup: AsyncDisposableStack;
let storybook: RunningProcess;
let root: string;
let localUrl: string;
let publicUrl: string;

beforeAll(async () => {
  cleanup = new AsyncDisposableStack();
  const server = cleanup.use(await startTestServer());
  const home = cleanup.use(
    await configHome({ serverUrl: server.url, secret: server.secret, routing: "subdomain", customHostname: server.customHostname }),
  );
  browser = cleanup.use(await launchChromium());
  const app = cleanup.use(await copyApp());
  root = app.root;
  // Storybook refuses `--port 0`.
  storybook = cleanup.use(
    runStorybookDev(root, ["--port", String(await freePort())], { XDG_CONFIG_HOME: home.dir, CAPTUN_ACCESS: "public" }),
  );
  [, publicUrl = ""] = (await storybook.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
  [, localUrl = ""] = (await storybook.waitForOutput(/- Local:\s+(\S+)/)) as string[];
  await storybook.waitForOutput(/captun: public URL/);
}, 120_000);
afterAll(async () => {
  await cleanup?.disposeAsync();
});

it("renders a story through the public URL and hot-updates it without a reload", async () => {
  // Storybook's iframe.html links no icon, so Chromium asks for /favicon.ico, which Storybook
  // answers 404 on its local URL too; every other failed load still counts.
  const favicon404s: string[] = [];
  await using watched = await watchedPage(browser, {
    ignore: (problem) => /status of 404 \(.*\)$/.test(problem) || channelRefused(problem),
  });
  const { page, problems } = watched;
  page.on("response", (response) => {
    if (response.status() === 404) favicon404s.push(new URL(response.url()).pathname);
  });
  const hmrConnected = page.waitForEvent("console", {
    predicate: (message) => message.text().includes("[vite] connected"),
    timeout: 30_000,
  });
  await page.goto(`${publicUrl}iframe.html?id=greeting--visitor&viewMode=story`);
  await hmrConnected;
  await page.locator("#greeting").getByText("Hello from the captun Storybook playground, visitor").waitFor({ timeout: 60_000 });
  await page.evaluate(() => {
    (window as { marker?: string }).marker = "still here";
  });
  const file = join(root, "src/Greeting.tsx");
  const source = await readFile(file, "utf8");
  await editFile(file, source.replace("Hello from the captun Storybook playground", "Edited through the tunnel"));
  await page.locator("#greeting").getByText("Edited through the tunnel, visitor").waitFor({ timeout: 30_000 });
  expect(await page.evaluate(() => (window as { marker?: string }).marker)).toBe("still here");
  expect(await page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(1);
  await editFile(file, source);
  expect(problems).toEqual([]);
  expect(favicon404s.filter((path) => path !== "/favicon.ico")).toEqual([]);
});

it("serves Storybook's own manager UI through the public URL", async () => {
  await using watched = await watchedPage(browser, { ignore: channelRefused });
  const { page, problems } = watched;
  await page.goto(publicUrl);
  const story = page.frameLocator("#storybook-preview-iframe");
  await story.locator("#greeting").getByText("Hello from the captun Storybook playground, visitor").waitFor({ timeout: 60_000 });
  expect(problems).toEqual([]);
});

it("keeps Storybook's server channel (editor, story-file writes) local", async () => {
  await expectBlocked(publicUrl, ["/storybook-server-channel?page=manager", "/%73torybook-server-channel"]);
});

it("allows exactly the public host in Vite's host check", async () => {
  const module = new URL("src/Greeting.tsx", localUrl).href;
  expect(await statusWithHost(module, new URL(publicUrl).host)).toBe(200);
  expect(await statusWithHost(module, "evil.example")).toBe(403);
});
