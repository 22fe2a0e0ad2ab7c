// `storybook dev` (Vite builder) with captun() in vite.config.ts: Storybook runs Vite in middleware
// mode inside its own server and hands Vite that server for HMR, which captun shares. One captun
// server and one Storybook for the whole file, opened in Chromium through the printed public URL.
// This suite shares with `CAPTUN_ACCESS=public`, so that switch stays tested through a framework
// (the other framework suites run private, the default).
import { expect, it } from "vitest";
import { freePort } from "../../../packages/core/test/_apps.ts";
import { expectBlocked } from "../../../packages/core/test/_dev-endpoints.ts";
import { expectHotUpdate, expectOnlyPublicHost, sharedDevServer } from "../../../packages/core/test/_framework-checks.ts";
import { copyApp, runStorybookDev } from "./_storybook-harness.ts";

// captun refuses Storybook's server channel through the tunnel (it carries editor and story-file
// writes, and its token is in the page any visitor loads): Storybook then logs the refused socket
// and, in the manager, timeouts of the stores that sync over it. Nothing else may go wrong.
const channelRefused = (problem: string) =>
  problem.includes("/storybook-server-channel?") || problem.includes("Timed out waiting for leader state for UniversalStore");

const GREETING = "Hello from the captun Storybook playground";
const STORY = {
  path: "iframe.html?id=greeting--visitor&viewMode=story",
  greeting: { selector: "#greeting", text: `${GREETING}, visitor` },
  hmrConnected: "[vite] connected",
  timeoutMs: 60_000,
};

const app = sharedDevServer({
  access: "public",
  copyApp,
  // Storybook refuses `--port 0`.
  start: async (root, env) => runStorybookDev(root, ["--port", String(await freePort())], env),
  localLine: /- Local:\s+(\S+)/,
  // Storybook wraps its log lines, the URL's included.
  liveLine: /captun: public URL/,
  timeoutMs: 90_000,
});

it("renders a story through the public URL and hot-updates it without a reload", async () => {
  // Storybook's iframe.html links no icon, so Chromium asks for /favicon.ico, which Storybook
  // answers 404 on its local URL too; every other failed load still counts.
  const favicon404s: string[] = [];
  await using watched = await app.page({ ignore: (problem) => /status of 404 \(.*\)$/.test(problem) || channelRefused(problem) });
  watched.page.on("response", (response) => {
    if (response.status() === 404) favicon404s.push(new URL(response.url()).pathname);
  });
  await expectHotUpdate(app, watched, STORY, {
    file: "src/Greeting.tsx",
    from: GREETING,
    to: "Edited through the tunnel",
    shows: "Edited through the tunnel, visitor",
  });
  expect(favicon404s.filter((path) => path !== "/favicon.ico")).toEqual([]);
});

it("serves Storybook's own manager UI through the public URL", async () => {
  await using watched = await app.page({ ignore: channelRefused });
  const { page, problems } = watched;
  await page.goto(app.publicUrl);
  const story = page.frameLocator("#storybook-preview-iframe");
  await story.locator("#greeting").getByText(`${GREETING}, visitor`).waitFor({ timeout: 60_000 });
  expect(problems).toEqual([]);
});

it("keeps Storybook's server channel (editor, story-file writes) local", async () => {
  await expectBlocked(app.publicUrl, ["/storybook-server-channel?page=manager", "/%73torybook-server-channel"]);
});

it("allows exactly the public host in Vite's host check", async () => {
  await expectOnlyPublicHost(app, new URL("src/Greeting.tsx", app.localUrl).href);
});
