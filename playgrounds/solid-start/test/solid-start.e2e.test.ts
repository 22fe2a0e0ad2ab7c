// `vite dev` with `plugins: [solidStart(), captun()]` under subdomain routing: one captun server and
// one SolidStart dev server for the whole file.
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
  runViteDev,
  statusWithHost,
  watchedPage,
} from "./_solid-start-harness.ts";

let browser: Awaited<ReturnType<typeof launchChromium>>;
let cleanup: AsyncDisposableStack;
let vite: RunningProcess;
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
  vite = cleanup.use(runViteDev(root, ["--port", "0"], { XDG_CONFIG_HOME: home.dir, CAPTUN_ACCESS: "public" }));
  [, localUrl = ""] = (await vite.waitForOutput(/➜\s+Local:\s+(\S+)/, 60_000)) as string[];
  [, publicUrl = ""] = (await vite.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
  await vite.waitForOutput(/captun: public URL \S+ is live/);
}, 90_000);
afterAll(async () => {
  await cleanup?.disposeAsync();
});

it("prints the public URL right under SolidStart's local one", () => {
  const lines = vite.output().split("\n");
  expect(lines[lines.findIndex((line) => line.includes("Local:")) + 1]).toContain(`Public:  ${publicUrl}`);
  expect(new URL(publicUrl).hostname).toMatch(/^playground-solid-start-[a-z0-9]+\.localhost$/);
});

it("renders the page server-side with the public origin and hydrates it, with no errors", async () => {
  await using watched = await watchedPage(browser);
  const { page, problems } = watched;
  await page.goto(publicUrl);
  await page.locator("#greeting").getByText("Hello from the captun SolidStart playground").waitFor();
  // The server `load` saw the URL the visitor used, not the local one.
  expect(await page.locator("#origin").textContent()).toBe(new URL(publicUrl).origin);
  expect(await page.evaluate(() => getComputedStyle(document.querySelector("main")!).borderTopColor)).toBe("rgb(29, 78, 216)");
  // Clicks count only once Solid hydrated the page in the browser.
  await page.waitForSelector("main[data-hydrated=true]", { timeout: 30_000 });
  await page.click("#increment");
  await page.click("#increment");
  await page.locator("#count").getByText("2").waitFor();
  expect(problems).toEqual([]);
});

it("hot-updates an edited component in a browser on the public URL, without a full reload", async () => {
  await using watched = await watchedPage(browser);
  const { page, problems } = watched;
  const hmrConnected = page.waitForEvent("console", {
    predicate: (message) => message.text().includes("[vite] connected"),
    timeout: 15_000,
  });
  await page.goto(publicUrl);
  await hmrConnected;
  // Edit only once the component is loaded in the browser, so the edit is an update, not a first load.
  await page.waitForSelector("main[data-hydrated=true]", { timeout: 30_000 });
  await page.evaluate(() => {
    (window as { marker?: string }).marker = "still here";
  });
  const file = join(root, "src/greeting.tsx");
  const source = await readFile(file, "utf8");
  await editFile(file, source.replace("Hello from the captun SolidStart playground", "Edited through the tunnel"));
  await page.locator("#greeting").getByText("Edited through the tunnel").waitFor({ timeout: 15_000 });
  expect(await page.evaluate(() => (window as { marker?: string }).marker)).toBe("still here");
  expect(await page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(1);
  await editFile(file, source);
  await page.locator("#greeting").getByText("Hello from the captun SolidStart playground").waitFor({ timeout: 15_000 });
  expect(problems).toEqual([]);
});

it("answers an API route with the public URL, and streams a body both ways", async () => {
  const seen = (await (await visit(`${publicUrl}api/echo?q=1`)).json()) as { url: string };
  expect(seen.url).toBe(`${publicUrl}api/echo?q=1`);
  const text = "captun ".repeat(20_000);
  const response = await visit(`${publicUrl}api/echo`, {
    method: "POST",
    body: text,
    headers: { "content-type": "text/plain", origin: new URL(publicUrl).origin },
  });
  expect(response.status).toBe(200);
  const answer = (await response.json()) as { received: number; reversed: string };
  expect(answer.received).toBe(text.length);
  expect(answer.reversed).toBe([...text].reverse().join(""));
});

it("allows exactly the public host: other hosts stay refused locally", async () => {
  expect(await statusWithHost(localUrl, "evil.example")).toBe(403);
  expect(await statusWithHost(localUrl, `${new URL(publicUrl).hostname}.evil.example`)).toBe(403);
  expect(await statusWithHost(localUrl, new URL(publicUrl).host)).toBe(200);
});
