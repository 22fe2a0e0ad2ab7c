// The shard's edge cache (worker/src/edge-cache.ts): what the origin marks immutable or public is
// served without asking the laptop, `no-cache` responses are revalidated with their ETag, and
// nothing personal or private ever reaches another visitor. Attacker tests count the origin's
// requests and check every visitor gets only their own answer.

import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaptunTunnel, createOriginFetcher, type RoutingMode } from "../src/index.ts";
import { createShareLink } from "../src/share-link.ts";
import { startOrigin, startTestServer, type TestServer, tunnelToOrigin, uniqueName, visit } from "./_harness.ts";

const IMMUTABLE = "max-age=31536000,immutable";
const js = (text: string) => `export const text = ${JSON.stringify(text)};\n${"// padding\n".repeat(200)}`;

/** An origin whose answers `handler` writes, counting the requests that reached it. */
async function countingOrigin(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: IncomingMessage["headers"][] = [];
  const origin = await startOrigin((req, res) => {
    seen.push(req.headers);
    handler(req, res);
  });
  return Object.assign(origin, { seen });
}

describe.each<RoutingMode>(["subdomain", "folder"])("the shard's edge cache under %s routing", (routing) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ routing });
  });
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
  });

  it("serves an immutable response (a Vite optimized dep) from the shard: the origin sees it once", async () => {
    await using origin = await countingOrigin((_req, res) => {
      res.writeHead(200, { "content-type": "text/javascript", "cache-control": IMMUTABLE }).end(js("dep"));
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const first = await visit(`${tunnel.url}/node_modules/.vite/deps/dep.js?v=abc`);
    expect(first.headers.get("x-captun-cache")).toBeNull();
    expect(await first.text()).toBe(js("dep"));
    const second = await visit(`${tunnel.url}/node_modules/.vite/deps/dep.js?v=abc`);
    expect(second.status).toBe(200);
    expect(second.headers.get("x-captun-cache")).toBe("hit");
    expect(second.headers.get("cache-control")).toBe(IMMUTABLE);
    expect(await second.text()).toBe(js("dep"));
    expect(origin.seen).toHaveLength(1);
    // Another query string is another URL.
    await (await visit(`${tunnel.url}/node_modules/.vite/deps/dep.js?v=def`)).text();
    expect(origin.seen).toHaveLength(2);
  });

  it("revalidates a no-cache module with its ETag: the origin answers 304, the visitor gets the whole body", async () => {
    let version = 1;
    let bodiesSent = 0;
    await using origin = await countingOrigin((req, res) => {
      const etag = `W/"v${version}"`;
      if (req.headers["if-none-match"] === etag) return void res.writeHead(304, { etag, "cache-control": "no-cache" }).end();
      bodiesSent++;
      res.writeHead(200, { "content-type": "text/javascript", "cache-control": "no-cache", etag }).end(js(`v${version}`));
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const url = `${tunnel.url}/src/main.ts`;
    expect(await (await visit(url)).text()).toBe(js("v1"));
    const second = await visit(url);
    expect(second.status).toBe(200);
    expect(second.headers.get("x-captun-cache")).toBe("revalidated");
    expect(await second.text()).toBe(js("v1"));
    expect(origin.seen[1]?.["if-none-match"]).toBe('W/"v1"');
    expect(bodiesSent).toBe(1);

    // The visitor's own matching ETag still gets a 304.
    const conditional = await visit(url, { headers: { "if-none-match": 'W/"v1"' } });
    expect(conditional.status).toBe(304);

    // An edit: the origin's ETag changes, so the next visitor gets the new body, and it is kept.
    version = 2;
    const edited = await visit(url);
    expect(edited.headers.get("x-captun-cache")).toBeNull();
    expect(await edited.text()).toBe(js("v2"));
    const again = await visit(url);
    expect(again.headers.get("x-captun-cache")).toBe("revalidated");
    expect(await again.text()).toBe(js("v2"));
    expect(bodiesSent).toBe(2);
  });

  it("never serves one visitor's personal response to another (attacker: visitor B asks for A's URL)", async () => {
    // Every variant says `public, max-age` too: only the personal marker may stop the cache.
    const variants: Record<string, Record<string, string>> = {
      "set-cookie": { "set-cookie": "session=1; HttpOnly" },
      private: { "cache-control": "private, max-age=600" },
      "no-store": { "cache-control": "no-store, max-age=600" },
      "vary-cookie": { vary: "Cookie" },
      "vary-star": { vary: "*" },
      // An origin whose ETag ignores the user: a revalidated entry stays with the visitor it was for.
      "constant-etag": { "cache-control": "no-cache", etag: '"same"' },
    };
    await using origin = await countingOrigin((req, res) => {
      const who = /user=(\w+)/.exec(req.headers.cookie ?? "")?.[1] ?? /Bearer (\w+)/.exec(req.headers.authorization ?? "")?.[1] ?? "nobody";
      const variant = variants[req.url?.slice(1) ?? ""] ?? {};
      if (variant.etag && req.headers["if-none-match"] === variant.etag) return void res.writeHead(304, variant).end();
      res.writeHead(200, { "content-type": "text/plain", "cache-control": "public, max-age=600", ...variant });
      res.end(`secret of ${who} ${"x".repeat(2000)}`);
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    for (const variant of Object.keys(variants)) {
      for (const who of ["alice", "bob", "alice"]) {
        const response = await visit(`${tunnel.url}/${variant}`, { headers: { cookie: `user=${who}` } });
        expect(await response.text(), variant).toMatch(new RegExp(`^secret of ${who} `));
      }
    }
    // A request with Authorization is never answered from (or kept in) the cache, whatever the response says.
    for (const who of ["alice", "bob", "alice"]) {
      const response = await visit(`${tunnel.url}/public`, { headers: { authorization: `Bearer ${who}` } });
      expect(response.headers.get("x-captun-cache")).toBeNull();
      expect(await response.text()).toMatch(new RegExp(`^secret of ${who} `));
    }
    const anonymous = await visit(`${tunnel.url}/public`);
    expect(await anonymous.text()).toMatch(/^secret of nobody /);
    expect(origin.seen).toHaveLength(Object.keys(variants).length * 3 + 4);
  });

  it("answers a private tunnel's anonymous visitor 401 even for a URL in the cache", async () => {
    await using origin = await countingOrigin((_req, res) => {
      res.writeHead(200, { "content-type": "text/javascript", "cache-control": IMMUTABLE }).end(js("private dep"));
    });
    const name = uniqueName("priv");
    const fetcher = createOriginFetcher(origin.url);
    await using tunnel = await createCaptunTunnel({
      url: server.tunnelUrl(name),
      secret: server.secret,
      fetch: fetcher,
      access: { mode: "private" },
    });
    const link = await createShareLink({ tunnelUrl: tunnel.url, name, secret: server.secret, ttlMs: 60_000 });
    const opened = await visit(`${tunnel.url}/dep.js?captun_share=${new URL(link.url).searchParams.get("captun_share")}`);
    const cookie = (opened.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    expect(cookie).toMatch(/=/);
    for (let i = 0; i < 2; i++) expect(await (await visit(`${tunnel.url}/dep.js`, { headers: { cookie } })).text()).toBe(js("private dep"));
    expect((await visit(`${tunnel.url}/dep.js`, { headers: { cookie } })).headers.get("x-captun-cache")).toBe("hit");
    for (const headers of [{}, { cookie: "captun_access=forged" }]) {
      const anonymous = await visit(`${tunnel.url}/dep.js`, { headers });
      expect(anonymous.status).toBe(401);
      expect(await anonymous.text()).not.toContain("private dep");
    }
    expect(origin.seen).toHaveLength(1);
    await fetcher.close();
  });

  it("drops a tunnel's entries when a new client connects under its name (a restarted dev server)", async () => {
    const name = uniqueName("restart");
    const serve = (text: string) => (_req: IncomingMessage, res: ServerResponse) =>
      res.writeHead(200, { "content-type": "text/javascript", "cache-control": IMMUTABLE }).end(js(text));
    await using before = await countingOrigin(serve("before"));
    await using after = await countingOrigin(serve("after"));
    const first = await tunnelToOrigin(server, before.url, name);
    const url = `${first.url}/dep.js?v=1`;
    await (await visit(url)).text();
    expect((await visit(url)).headers.get("x-captun-cache")).toBe("hit");
    await first[Symbol.asyncDispose]();
    await using second = await tunnelToOrigin(server, after.url, name);
    const response = await visit(`${second.url}/dep.js?v=1`);
    expect(response.headers.get("x-captun-cache")).toBeNull();
    expect(await response.text()).toBe(js("after"));

    // Takeover without a goodbye: the new client's answers, never the old session's entries.
    await using third = await tunnelToOrigin(server, before.url, name);
    expect(await (await visit(`${third.url}/dep.js?v=1`)).text()).toBe(js("before"));
  });
});

describe("the edge cache's memory", () => {
  it("keeps at most EDGE_CACHE_BYTES, dropping the least recently used, and no entry over EDGE_CACHE_ENTRY_BYTES", async () => {
    await using server = await startTestServer({ vars: { EDGE_CACHE_BYTES: "25000", EDGE_CACHE_ENTRY_BYTES: "12000" } });
    // Incompressible bodies, so what the shard keeps is their own size.
    const bodies = { "/a": randomBytes(9000), "/b": randomBytes(9000), "/c": randomBytes(9000), "/big": randomBytes(13000) };
    await using origin = await countingOrigin((req, res) => {
      const body = bodies[req.url as keyof typeof bodies];
      res.writeHead(200, { "content-type": "image/png", "content-length": String(body.byteLength), "cache-control": IMMUTABLE }).end(body);
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const state = async (path: keyof typeof bodies) => {
      const response = await visit(`${tunnel.url}${path}`);
      expect(Buffer.from(await response.arrayBuffer()).equals(bodies[path])).toBe(true);
      return response.headers.get("x-captun-cache") ?? "origin";
    };
    expect([await state("/a"), await state("/b"), await state("/a")]).toEqual(["origin", "origin", "hit"]);
    // A third entry passes the budget: /b, used least recently, goes; /a stays.
    expect([await state("/c"), await state("/a"), await state("/b")]).toEqual(["origin", "hit", "origin"]);
    expect([await state("/big"), await state("/big")]).toEqual(["origin", "origin"]);
  });

  it("is off with EDGE_CACHE_BYTES=0", async () => {
    await using server = await startTestServer({ vars: { EDGE_CACHE_BYTES: "0" } });
    await using origin = await countingOrigin((_req, res) => {
      res.writeHead(200, { "content-type": "text/javascript", "cache-control": IMMUTABLE }).end(js("dep"));
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    for (let i = 0; i < 2; i++) expect((await visit(`${tunnel.url}/dep.js`)).headers.get("x-captun-cache")).toBeNull();
    expect(origin.seen).toHaveLength(2);
  });
});
