// Access control in the Worker (docs/access.md): private tunnels, share links, the access cookie,
// passcodes, public paths, revocation. Every "refused" test also checks the origin saw nothing.
import { type IncomingHttpHeaders, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { localhostConnectOptions, localhostLookup } from "../src/_localhost.ts";
import type { AccessPolicy } from "../src/access-policy.ts";
import { createCaptunTunnel, createOriginFetcher, type RoutingMode } from "../src/index.ts";
import { ERROR_HEADER } from "../src/protocol.ts";
import { ACCESS_ADMIN_PATH, createShareLink, deriveAccessKey, SHARE_PARAM, verifyAccessToken } from "../src/share-link.ts";
import { startOrigin, startTestServer, type TestServer, uniqueName, uploadAtFullSpeed, visit } from "./_harness.ts";

const HOUR = 60 * 60 * 1000;

/** A browser navigation (undici's fetch always says `sec-fetch-mode: cors`): status, headers, body. */
function navigate(url: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { accept: "text/html,*/*", "sec-fetch-mode": "navigate" };
    request(url, { headers, lookup: localhostLookup as never }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    })
      .on("error", reject)
      .end();
  });
}

describe.each<RoutingMode>(["subdomain", "folder"])("access control under %s routing", (routing) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ routing });
  });
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
  });

  /** A tunnel with `access` to an origin that records what reached it. */
  async function privateTunnel(access: AccessPolicy = { mode: "private" }, name = uniqueName("acc")) {
    const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
    const origin = await startOrigin((req, res) => {
      seen.push({ url: req.url ?? "", headers: req.headers });
      res.setHeader("content-type", "text/plain");
      res.end(`app at ${req.url}`);
    });
    const fetcher = createOriginFetcher(origin.url);
    const tunnel = await createCaptunTunnel({ url: server.tunnelUrl(name), secret: server.secret, fetch: fetcher, access });
    const link = (options: { ttlMs?: number; label?: string; paths?: string[]; secret?: string; name?: string } = {}) =>
      createShareLink({
        tunnelUrl: tunnel.url,
        name: options.name ?? name,
        secret: options.secret ?? server.secret,
        ttlMs: options.ttlMs ?? HOUR,
        label: options.label,
        paths: options.paths,
      }).then((l) => l.url);
    return {
      name,
      url: tunnel.url,
      seen,
      link,
      async [Symbol.asyncDispose]() {
        await tunnel.close();
        await fetcher.close();
        await origin[Symbol.asyncDispose]();
      },
    };
  }

  /** Opens a share link like a browser: returns the cookie it set (name=value) and the redirect. */
  async function open(link: string) {
    const response = await visit(link, { headers: { accept: "text/html" } });
    const setCookie = response.headers.get("set-cookie") ?? "";
    return { response, setCookie, cookie: setCookie.split(";")[0] ?? "", location: response.headers.get("location") };
  }

  async function admin(tunnelUrl: string, body?: unknown, secret = server.secret) {
    return visit(`${tunnelUrl}${ACCESS_ADMIN_PATH}`, {
      method: body ? "POST" : "GET",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
  }

  it("gives an anonymous visitor the 401 page or an access-required answer, and the origin nothing", async () => {
    await using tunnel = await privateTunnel();
    const page = await navigate(`${tunnel.url}/`);
    expect(page.status).toBe(401);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.headers[ERROR_HEADER]).toBe("access-required");
    expect(page.body).toContain("This preview is private — ask its owner for a link.");
    for (const path of ["/", "/src/main.ts", "/@vite/client", "/api/data?x=1"]) {
      const response = await visit(tunnel.url + path);
      expect(response.status).toBe(401);
      expect(response.headers.get(ERROR_HEADER)).toBe("access-required");
      expect(await response.text()).not.toContain("app at");
    }
    const socket = new WebSocket(`${tunnel.url.replace(/^http/, "ws")}/hmr`, localhostConnectOptions);
    const refused = await new Promise<number>((resolve, reject) => {
      socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      socket.on("open", () => reject(new Error("the WebSocket opened without access")));
      socket.on("error", () => {});
    });
    expect(refused).toBe(401);
    // Uploads too, however large: the 401 must reach the visitor whole, not lose itself to a
    // connection reset while the body is still arriving (502 through the local server's front).
    for (const size of [60_000, 500_000, 2_000_000]) {
      const { status, code } = await uploadAtFullSpeed(`${tunnel.url}/api/upload`, size);
      const answer = `${status} ${code}`;
      expect(answer, `a ${size}-byte upload`).toBe("401 access-required");
    }
    expect(tunnel.seen).toEqual([]);
  });

  it("turns a share link into a scoped HttpOnly cookie and a 303 to the URL without the token, which the app never sees", async () => {
    await using tunnel = await privateTunnel();
    const { response, setCookie, cookie, location } = await open(`${await tunnel.link()}&page=2`.replace("/?", "/deep/path?"));
    expect(response.status).toBe(303);
    const prefix = routing === "folder" ? `/${tunnel.name}` : "";
    expect(location).toBe(`${prefix}/deep/path?page=2`);
    expect(setCookie).toMatch(new RegExp(`^captun_access=v1\\.[^;]+; Path=${prefix || "/"}; Max-Age=(3599|3600); HttpOnly; SameSite=Lax$`));
    expect(tunnel.seen).toEqual([]);

    const app = await visit(`${tunnel.url}/deep/path?page=2`, { headers: { cookie: `theme=dark; ${cookie}` } });
    expect(app.status).toBe(200);
    expect(await app.text()).toBe("app at /deep/path?page=2");
    expect(tunnel.seen[0]?.headers.cookie).toBe("theme=dark");
    expect(JSON.stringify(tunnel.seen)).not.toContain("v1.");
  });

  it("lets the cookie open WebSocket upgrades", async () => {
    await using wsOrigin = await startOrigin((_req, res) => res.end());
    const { WebSocketServer } = await import("ws");
    const wss = new WebSocketServer({ server: wsOrigin.server });
    wss.on("connection", (socket) => socket.on("message", (data) => socket.send(`echo ${data}`)));
    const name = uniqueName("accws");
    const fetcher = createOriginFetcher(wsOrigin.url);
    await using tunnel = await createCaptunTunnel({
      url: server.tunnelUrl(name),
      secret: server.secret,
      fetch: fetcher,
      access: { mode: "private" },
    });
    const link = await createShareLink({ tunnelUrl: tunnel.url, name, secret: server.secret, ttlMs: HOUR });
    const { cookie } = await open(link.url);
    const socket = new WebSocket(`${tunnel.url.replace(/^http/, "ws")}/socket`, { ...localhostConnectOptions, headers: { cookie } });
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    socket.send("hi");
    const reply = await new Promise<Buffer>((resolve) => socket.once("message", (data) => resolve(data as Buffer)));
    expect(reply.toString()).toBe("echo hi");
    socket.close();
    wss.close();
    await fetcher.close();
  });

  it("refuses expired, tampered, wrong-tunnel and wrong-secret links with a page that says so", async () => {
    await using tunnel = await privateTunnel();
    const cases: [string, string, string][] = [
      [await tunnel.link({ ttlMs: -1000 }), "link-expired", "This link has expired"],
      [
        (await tunnel.link()).replace(/(captun_share=v1\.)(.)/, (_m, head, c) => head + (c === "e" ? "f" : "e")),
        "link-invalid",
        "not valid",
      ],
      [(await tunnel.link()).replace(/.$/, (c) => (c === "A" ? "B" : "A")), "link-invalid", "not valid"],
      [await tunnel.link({ name: "someone-else" }), "link-invalid", "not valid"],
      [await tunnel.link({ secret: "not-the-connect-secret" }), "link-invalid", "not valid"],
    ];
    for (const [link, code, text] of cases) {
      const { response, setCookie } = await open(link);
      expect(response.status, link).toBe(401);
      expect(response.headers.get(ERROR_HEADER)).toBe(code);
      expect(await response.text()).toContain(text);
      expect(setCookie).toBe("");
    }
    // The same tokens as cookies get no further.
    const expired = new URL(cases[0]![0]).searchParams.get(SHARE_PARAM);
    const asCookie = await visit(`${tunnel.url}/`, { headers: { cookie: `captun_access=${expired}` } });
    expect(asCookie.status).toBe(401);
    expect(asCookie.headers.get(ERROR_HEADER)).toBe("link-expired");
    expect(tunnel.seen).toEqual([]);
  });

  it("opens only the paths a scoped link names", async () => {
    await using tunnel = await privateTunnel();
    const link = await tunnel.link({ paths: ["/checkout/**"] });
    expect(new URL(link).pathname).toBe(`${routing === "folder" ? `/${tunnel.name}` : ""}/checkout/`);
    const { cookie } = await open(link);
    const headers = { cookie };
    expect((await visit(`${tunnel.url}/checkout/`, { headers })).status).toBe(200);
    expect((await visit(`${tunnel.url}/checkout/pay`, { headers })).status).toBe(200);
    for (const path of ["/", "/checkoutx", "/admin", "/checkout/%2e%2e/admin"]) {
      const response = await visit(tunnel.url + path, { headers });
      expect(response.status, path).toBe(401);
      expect(response.headers.get(ERROR_HEADER)).toBe("access-required");
    }
    expect(tunnel.seen.map((s) => s.url)).toEqual(["/checkout/", "/checkout/pay"]);
  });

  it("revokes by label and all at once, lists live links, and takes the admin endpoint only with the secret", async () => {
    await using tunnel = await privateTunnel();
    const alice = await tunnel.link({ label: "alice" });
    const bob = await tunnel.link({ label: "bob" });
    const aliceCookie = (await open(alice)).cookie;
    expect((await admin(tunnel.url, { record: { label: "alice", issued: Date.now() - 10, expires: Date.now() + HOUR } })).status).toBe(200);
    expect(await (await admin(tunnel.url)).json()).toMatchObject({ links: [{ label: "alice" }] });
    expect((await admin(tunnel.url, { revoke: "alice" }, "wrong")).status).toBe(401);
    expect((await admin(tunnel.url, undefined, "wrong")).status).toBe(401);

    expect((await admin(tunnel.url, { revoke: "alice" })).status).toBe(200);
    const revokedCookie = await visit(`${tunnel.url}/`, { headers: { cookie: aliceCookie, accept: "text/html" } });
    expect(revokedCookie.status).toBe(401);
    expect(revokedCookie.headers.get(ERROR_HEADER)).toBe("link-revoked");
    expect(await revokedCookie.text()).toContain("revoked");
    expect(revokedCookie.headers.get("set-cookie")).toMatch(/^captun_access=; .*Max-Age=0/);
    expect((await open(alice)).response.status).toBe(401);
    expect(await (await admin(tunnel.url)).json()).toEqual({ links: [] });

    const bobCookie = (await open(bob)).cookie;
    expect((await visit(`${tunnel.url}/`, { headers: { cookie: bobCookie } })).status).toBe(200);
    const newAlice = (await open(await tunnel.link({ label: "alice" }))).cookie;
    expect((await visit(`${tunnel.url}/`, { headers: { cookie: newAlice } })).status).toBe(200);

    expect((await admin(tunnel.url, { revokeAll: true })).status).toBe(200);
    for (const cookie of [bobCookie, newAlice]) {
      expect((await visit(`${tunnel.url}/`, { headers: { cookie } })).headers.get(ERROR_HEADER)).toBe("link-revoked");
    }
    expect((await visit(`${tunnel.url}/`, { headers: { cookie: (await open(await tunnel.link())).cookie } })).status).toBe(200);
  });

  it("keeps public paths open and lets CORS preflights through only there", async () => {
    await using tunnel = await privateTunnel({ mode: "private", publicPaths: ["/api/webhooks/**"] });
    expect((await visit(`${tunnel.url}/api/webhooks/stripe`, { method: "POST", body: "{}" })).status).toBe(200);
    expect((await visit(`${tunnel.url}/api/webhooks`)).status).toBe(200);
    const preflight = { method: "OPTIONS", headers: { origin: "https://elsewhere.example", "access-control-request-method": "POST" } };
    expect((await visit(`${tunnel.url}/api/webhooks/github`, preflight)).status).toBe(200);
    expect((await visit(`${tunnel.url}/api/private`, preflight)).status).toBe(401);
    for (const path of ["/api/webhooks/%2e%2e/%2e%2e/src/main.ts", "/api/webhooks/..%2f..%2fsecret", "/api/webhooksx", "/api"]) {
      expect((await visit(tunnel.url + path)).status, path).toBe(401);
    }
    expect(tunnel.seen.map((s) => s.url)).toEqual(["/api/webhooks/stripe", "/api/webhooks", "/api/webhooks/github"]);
  });

  it("takes a passcode as HTTP Basic (never passed on) and from the form, and throttles guessing", async () => {
    await using tunnel = await privateTunnel({ mode: "passcode", passcode: "open sesame" });
    const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`anyone:${password}`).toString("base64")}` });
    const ok = await visit(`${tunnel.url}/api`, { headers: basic("open sesame") });
    expect(ok.status).toBe(200);
    expect(tunnel.seen[0]?.headers.authorization).toBeUndefined();

    const challenge = await visit(`${tunnel.url}/api`);
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get("www-authenticate")).toContain("Basic");
    const form = await navigate(`${tunnel.url}/page?q=1`);
    expect(form.status).toBe(401);
    expect(form.headers["www-authenticate"]).toBeUndefined();
    const html = form.body;
    const action = /action="([^"]+)"/.exec(html)?.[1] ?? "";
    expect(html).toContain(`name="next" value="${routing === "folder" ? `/${tunnel.name}` : ""}/page?q=1"`);

    const origin = new URL(tunnel.url).origin;
    const post = (passcode: string, next = `${routing === "folder" ? `/${tunnel.name}` : ""}/page?q=1`) =>
      visit(origin + action, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": "203.0.113.9" },
        body: new URLSearchParams({ passcode, next }).toString(),
      });
    const right = await post("open sesame");
    expect(right.status).toBe(303);
    expect(right.headers.get("location")).toBe(`${routing === "folder" ? `/${tunnel.name}` : ""}/page?q=1`);
    const cookie = right.headers.get("set-cookie")?.split(";")[0] ?? "";
    expect((await visit(`${tunnel.url}/page`, { headers: { cookie } })).status).toBe(200);
    // An open redirect through `next` is not possible.
    expect((await post("open sesame", "//evil.example/")).headers.get("location")).toBe(
      `${routing === "folder" ? `/${tunnel.name}` : ""}/`,
    );

    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await visit(`${tunnel.url}/api`, { headers: basic(`guess ${i}`) })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    // Even the right passcode waits out the window: no oracle while throttled.
    expect((await visit(`${tunnel.url}/api`, { headers: basic("open sesame") })).status).toBe(429);
    expect(tunnel.seen.map((s) => s.url)).toEqual(["/api", "/page"]);
  });

  it("leaves a tunnel public when it asks for nothing, and forgets a private policy when the name reconnects public", async () => {
    const name = uniqueName("accpub");
    {
      await using tunnel = await privateTunnel({ mode: "private" }, name);
      expect((await visit(`${tunnel.url}/`)).status).toBe(401);
    }
    await using origin = await startOrigin((_req, res) => res.end("open"));
    const fetcher = createOriginFetcher(origin.url);
    await using tunnel = await createCaptunTunnel({ url: server.tunnelUrl(name), secret: server.secret, fetch: fetcher });
    const response = await visit(`${tunnel.url}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("open");
    // A dead link on a public tunnel still leads to the app, without the token and without a cookie.
    const expired = await createShareLink({ tunnelUrl: tunnel.url, name, secret: server.secret, ttlMs: -1 });
    const redirect = await visit(expired.url.replace("/?", "/page?a=1&"));
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get("location")).toBe(`${new URL(tunnel.url).pathname.replace(/\/$/, "")}/page?a=1`);
    expect(redirect.headers.get("set-cookie")).toBeNull();
    await fetcher.close();
  });
});

it("gives a token exactly one valid spelling: no other last character of the signature verifies", async () => {
  const key = await deriveAccessKey("a secret");
  for (let i = 0; i < 20; i++) {
    const { url } = await createShareLink({
      tunnelUrl: "http://app.localhost",
      name: "app",
      secret: "a secret",
      ttlMs: HOUR,
      label: `l${i}`,
    });
    const token = new URL(url).searchParams.get(SHARE_PARAM) ?? "";
    expect(await verifyAccessToken(key, token)).toMatchObject({ name: "app", label: `l${i}` });
    for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
      if (c !== token.at(-1)) expect(await verifyAccessToken(key, token.slice(0, -1) + c)).toBeUndefined();
    }
  }
});
