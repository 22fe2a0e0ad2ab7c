// `webpack serve` (webpack-dev-server 6) with `plugins: [captun()]` from `captun/webpack`: one
// captun server and one dev server for the whole file, opened in Chromium through the printed URL.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { editFile } from "../../../packages/core/test/_apps.ts";
import { startTestServer, visit } from "../../../packages/core/test/_harness.ts";
import {
  configHome,
  copyApp,
  launchChromium,
  type RunningProcess,
  runWebpackServe,
  statusWithHost,
  watchedPage,
} from "./_webpack-harness.ts";

let browser: Awaited<ReturnType<typeof launchChromium>>;
let cleanup: AsyncDisposableStack;
let webpack: RunningProcess;
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
  webpack = cleanup.use(
    runWebpackServe(root, ["--port", "0", "--host", "127.0.0.1"], { XDG_CONFIG_HOME: home.dir, CAPTUN_ACCESS: "public" }),
  );
  [, localUrl = ""] = (await webpack.waitForOutput(/Loopback: (http\S+?),?\s/)) as string[];
  [, publicUrl = ""] = (await webpack.waitForOutput(/\[captun\] Public: (\S+)/)) as string[];
  await webpack.waitForOutput(/\[captun\] public URL \S+ is live/);
}, 90_000);
afterAll(async () => {
  await cleanup?.disposeAsync();
});

it("prints the public URL after webpack-dev-server's own URLs", () => {
  const output = webpack.output();
  expect(output.indexOf("[captun] Public:")).toBeGreaterThan(output.indexOf("Loopback:"));
  expect(new URL(publicUrl).hostname).toMatch(/^playground-webpack-[a-z0-9]+\.localhost$/);
});

it("serves the page and its bundle through the public URL, and hot-replaces an edited module without a reload", async () => {
  await using watched = await watchedPage(browser);
  const { page, problems } = watched;
  const hmrConnected = page.waitForEvent("console", {
    predicate: (message) => message.text().includes("[webpack-dev-server] connected"),
    timeout: 15_000,
  });
  await page.goto(publicUrl);
  await page.locator("#greeting").getByText("Hello from the captun webpack playground").waitFor();
  await hmrConnected;
  await page.evaluate(() => {
    (window as { marker?: string }).marker = "still here";
  });
  const file = join(root, "src/greeting.js");
  const source = await readFile(file, "utf8");
  await editFile(file, source.replace("Hello from the captun webpack playground", "Edited through the tunnel"));
  await page.locator("#greeting").getByText("Edited through the tunnel").waitFor({ timeout: 15_000 });
  expect(await page.evaluate(() => (window as { marker?: string }).marker)).toBe("still here");
  expect(await page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(1);
  await editFile(file, source);
  await page.locator("#greeting").getByText("Hello from the captun webpack playground").waitFor({ timeout: 15_000 });
  expect(problems).toEqual([]);
});

it("answers the dev server's own API middleware with the public host, streaming a body both ways", async () => {
  const text = "captun ".repeat(20_000);
  const response = await visit(`${publicUrl}api/echo`, { method: "POST", body: text, headers: { "content-type": "text/plain" } });
  expect(response.status).toBe(200);
  const answer = (await response.json()) as { host: string; received: number; reversed: string };
  expect(answer.host).toBe(new URL(publicUrl).host);
  expect(answer.received).toBe(text.length);
  expect(answer.reversed).toBe([...text].reverse().join(""));
});

it("allows exactly the public host: other hosts stay refused locally", async () => {
  expect(await statusWithHost(localUrl, "evil.example")).toBe(403);
  expect(await statusWithHost(localUrl, `${new URL(publicUrl).hostname}.evil.example`)).toBe(403);
  expect(await statusWithHost(localUrl, new URL(publicUrl).host)).toBe(200);
});
