// Access control as Chromium meets it: the passcode form, and a share link whose token never
// reaches the app, not even in a Referer.
import type { IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createCaptunTunnel, createOriginFetcher } from "../src/index.ts";
import { createShareLink } from "../src/share-link.ts";
import { launchChromium, watchedPage } from "./_apps.ts";
import { startOrigin, startTestServer, type TestServer, uniqueName } from "./_harness.ts";

let server: TestServer;
let browser: Awaited<ReturnType<typeof launchChromium>>;
beforeAll(async () => {
  server = await startTestServer({ routing: "subdomain" });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.[Symbol.asyncDispose]();
});

async function appBehind(access: Parameters<typeof createCaptunTunnel>[0]["access"]) {
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const origin = await startOrigin((req, res) => {
    seen.push({ url: req.url ?? "", headers: req.headers });
    if (req.url === "/style.css") {
      res.setHeader("content-type", "text/css");
      res.end("h1 { color: rgb(1, 2, 3); }");
      return;
    }
    res.setHeader("content-type", "text/html");
    res.end(`<!doctype html><link rel="stylesheet" href="/style.css"><h1 id="app">app at ${req.url}</h1>`);
  });
  const name = uniqueName("browser");
  const fetcher = createOriginFetcher(origin.url);
  const tunnel = await createCaptunTunnel({ url: server.tunnelUrl(name), secret: server.secret, fetch: fetcher, access });
  return {
    name,
    url: tunnel.url,
    seen,
    async [Symbol.asyncDispose]() {
      await tunnel.close();
      await fetcher.close();
      await origin[Symbol.asyncDispose]();
    },
  };
}

it("shows the passcode form, says when the passcode is wrong, and lets the right one in on the page asked for", async () => {
  await using app = await appBehind({ mode: "passcode", passcode: "blue whale" });
  await using watched = await watchedPage(browser, { ignore: (problem) => problem.includes("401") });
  const { page, problems } = watched;
  const first = await page.goto(`${app.url}/orders?id=7`);
  expect(first?.status()).toBe(401);
  await page.fill("input[name=passcode]", "red whale");
  await Promise.all([page.waitForURL(/__captun-passcode/), page.click("button[type=submit]")]);
  expect(await page.locator("#captun-access-message").textContent()).toBe("Wrong passcode.");
  await page.fill("input[name=passcode]", "blue whale");
  await Promise.all([page.waitForURL(`${app.url}/orders?id=7`), page.click("button[type=submit]")]);
  expect(await page.locator("#app").textContent()).toBe("app at /orders?id=7");
  expect(await page.evaluate(() => getComputedStyle(document.querySelector("h1")!).color)).toBe("rgb(1, 2, 3)");
  await page.reload();
  expect(await page.locator("#app").textContent()).toBe("app at /orders?id=7");
  // Nothing reached the app before the right passcode (the favicon comes along with the page).
  expect(app.seen[0]?.url).toBe("/orders?id=7");
  expect(new Set(app.seen.map((s) => s.url))).toEqual(new Set(["/orders?id=7", "/style.css", "/favicon.ico"]));
  expect(app.seen.every((s) => !s.url.includes("passcode") && !JSON.stringify(s.headers).includes("captun_access"))).toBe(true);
  expect(problems).toEqual([]);
});

it("opens a share link in the browser without the token ever reaching the app, its URL or a Referer", async () => {
  await using app = await appBehind({ mode: "private" });
  const link = await createShareLink({ tunnelUrl: app.url, name: app.name, secret: server.secret, ttlMs: 60_000 });
  const token = new URL(link.url).searchParams.get("captun_share") ?? "";
  await using watched = await watchedPage(browser);
  const { page, problems } = watched;
  await page.goto(`${link.url}&tab=2`);
  expect(page.url()).toBe(`${app.url}/?tab=2`);
  expect(await page.locator("#app").textContent()).toBe("app at /?tab=2");
  expect(await page.evaluate(() => getComputedStyle(document.querySelector("h1")!).color)).toBe("rgb(1, 2, 3)");
  expect(app.seen.length).toBeGreaterThanOrEqual(2);
  expect(JSON.stringify(app.seen)).not.toContain(token.slice(3, 40));
  expect(problems).toEqual([]);

  // Another browser without the cookie gets the 401 page, and the app sees nothing more.
  await using stranger = await watchedPage(browser, { ignore: (problem) => problem.includes("401") });
  const before = app.seen.length;
  expect((await stranger.page.goto(`${app.url}/?tab=2`))?.status()).toBe(401);
  expect(app.seen.length).toBe(before);
});
