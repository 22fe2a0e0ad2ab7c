// Under folder routing every tunnel shares one browser origin: one tunnel's responses must not
// reach into another's cookies, service workers or storage.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaptunTunnel } from "../src/client.ts";
import { launchChromium } from "./_apps.ts";
import { startTestServer, type TestServer, uniqueName, visit } from "./_harness.ts";

const HOSTILE_HEADERS: [string, string][] = [
  ["service-worker-allowed", "/"],
  ["clear-site-data", '"*"'],
  ["set-cookie", "root=1; Path=/; HttpOnly"],
  ["set-cookie", "nopath=2"],
  ["set-cookie", "api=3; path=/api; Domain=127.0.0.1; SameSite=Lax"],
  ["set-cookie", "relative=4; Path=relative"],
];

const BIG = 1024 * 1024;

/** A tunnel whose origin sends every header that could reach across tunnels. */
function hostileTunnel(server: TestServer, name: string) {
  return createCaptunTunnel({
    url: server.tunnelUrl(name),
    secret: server.secret,
    fetch: (request) =>
      new URL(request.url).pathname === "/big"
        ? new Response(new Uint8Array(BIG), { headers: [...HOSTILE_HEADERS, ["content-length", String(BIG)]] })
        : new Response(`${name} saw cookie: ${request.headers.get("cookie") ?? ""}`, { headers: HOSTILE_HEADERS }),
  });
}

describe("folder routing", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ routing: "folder" });
  });
  afterAll(() => server[Symbol.asyncDispose]());

  it("drops Service-Worker-Allowed and Clear-Site-Data and scopes every cookie to the tunnel's folder", async () => {
    const name = uniqueName("folder");
    await using tunnel = await hostileTunnel(server, name);
    const response = await visit(`${tunnel.url}/deep/page`);
    expect(response.status).toBe(200);
    expect(response.headers.get("service-worker-allowed")).toBeNull();
    expect(response.headers.get("clear-site-data")).toBeNull();
    expect(response.headers.getSetCookie()).toEqual([
      `root=1; Path=/${name}; HttpOnly`,
      `nopath=2; Path=/${name}/deep`,
      `api=3; Path=/${name}/api; SameSite=Lax`,
      `relative=4; Path=/${name}/deep`,
    ]);
    // Rewriting headers keeps the body and its declared length (a streamed one too).
    // (identity: locally Miniflare's entry would gzip it, and a gzipped body has no length to keep)
    const big = await visit(`${tunnel.url}/big`, { headers: { "accept-encoding": "identity" } });
    expect(big.headers.get("content-length")).toBe(String(BIG));
    expect(big.headers.getSetCookie()[0]).toBe(`root=1; Path=/${name}; HttpOnly`);
    expect((await big.arrayBuffer()).byteLength).toBe(BIG);
  });

  it("keeps a browser's cookies and service workers of one tunnel away from another (Chromium)", async () => {
    const [a, b] = [uniqueName("a"), uniqueName("b")];
    await using tunnelA = await hostileTunnel(server, a);
    await using tunnelB = await createCaptunTunnel({
      url: server.tunnelUrl(b),
      secret: server.secret,
      fetch: (request) => {
        const path = new URL(request.url).pathname;
        if (path === "/sw.js") {
          return new Response("self.addEventListener('fetch', () => {});", {
            headers: { "content-type": "text/javascript", "service-worker-allowed": "/" },
          });
        }
        if (path === "/again") return new Response(request.headers.get("cookie") ?? "");
        return new Response("<!doctype html><title>b</title>", { headers: { "content-type": "text/html" } });
      },
    });
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${tunnelA.url}/`);
    await page.goto(`${tunnelB.url}/`);
    const cookiesAtB = await page.evaluate(() => document.cookie);
    expect(cookiesAtB).toBe("");
    // Tunnel B asks for a service worker over the whole host; the browser must refuse the scope.
    const registration = await page.evaluate(async () => {
      try {
        await navigator.serviceWorker.register("sw.js", { scope: "/" });
        return "registered over /";
      } catch (error) {
        return `refused: ${(error as Error).name}`;
      }
    });
    expect(registration).toMatch(/^refused/);
    // A tunnel sees only its own cookies.
    const answerA = await page.evaluate(async (url) => (await fetch(url)).text(), `${tunnelA.url}/again`);
    expect(answerA).toContain("root=1");
    const answerB = await page.evaluate(async (url) => (await fetch(url)).text(), `${tunnelB.url}/again`);
    expect(answerB).toBe("");
    await page.close();
  });
});

describe("subdomain routing", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ routing: "subdomain" });
  });
  afterAll(() => server[Symbol.asyncDispose]());

  it("drops a cookie Domain that would cover every tunnel, keeps the tunnel's own host and its own-origin headers", async () => {
    const name = uniqueName("sub");
    const host = new URL(server.tunnelUrl(name)).hostname;
    await using tunnel = await createCaptunTunnel({
      url: server.tunnelUrl(name),
      secret: server.secret,
      fetch: () =>
        new Response("ok", {
          headers: [
            ["service-worker-allowed", "/"],
            ["set-cookie", "zone=1; Domain=localhost; Path=/"],
            ["set-cookie", "dotted=2; Domain=.LOCALHOST"],
            ["set-cookie", `own=3; Domain=${host}; Path=/`],
          ],
        }),
    });
    const response = await visit(`${tunnel.url}/`);
    expect(response.headers.get("service-worker-allowed")).toBe("/");
    expect(response.headers.getSetCookie()).toEqual(["zone=1; Path=/", "dotted=2", `own=3; Domain=${host}; Path=/`]);
  });
});
