// Change generations (packages/core/src/change-generation.ts, dev-server/change-generation.ts):
// a client that announces one lets the shard answer the modules it vouched for without asking the
// laptop until the generation moves; a tunnel that never announces one keeps revalidating, and
// nothing a visitor or an origin sends can make an answer current.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createViteServer } from "vite";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createChangeGeneration, trackViteChanges } from "../src/dev-server/change-generation.ts";
import { createCaptunTunnel, createOriginFetcher } from "../src/index.ts";
import { startOrigin, startTestServer, type TestServer, tunnelToOrigin, uniqueName, visit } from "./_harness.ts";

/** An origin serving `no-cache` + ETag modules whose content is `version`, counting the requests that reach it. */
async function moduleOrigin(extraHeaders: Record<string, string> = {}) {
  const state = { version: 1, seen: [] as IncomingMessage["headers"][] };
  const origin = await startOrigin((req: IncomingMessage, res: ServerResponse) => {
    state.seen.push(req.headers);
    const etag = `W/"v${state.version}"`;
    const headers = { "content-type": "text/javascript", "cache-control": "no-cache", etag, ...extraHeaders };
    if (req.headers["if-none-match"] === etag) return void res.writeHead(304, headers).end();
    res.writeHead(200, headers).end(`export const version = ${state.version}; // ${req.url}\n`);
  });
  return Object.assign(origin, { state });
}

describe("change generations at the shard's edge cache", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
  });

  /** A tunnel like a Vite dev server's: it announces its generation and vouches for `/src/**`. */
  async function generationTunnel(originUrl: string) {
    const fetcher = createOriginFetcher(originUrl);
    const changes = createChangeGeneration((url) => url.pathname.startsWith("/src/"));
    const tunnel = await createCaptunTunnel({
      url: server.tunnelUrl(uniqueName("gen")),
      secret: server.secret,
      fetch: (request) => changes.vouch(fetcher, request),
    });
    changes.follow(() => tunnel);
    await changes.announce(tunnel);
    return Object.assign(tunnel, {
      changes,
      async [Symbol.asyncDispose]() {
        await tunnel.close();
        await fetcher.close();
      },
    });
  }

  it("answers a vouched module from the shard while the generation stands, and revalidates once after a change", async () => {
    await using origin = await moduleOrigin();
    await using tunnel = await generationTunnel(origin.url);
    const url = `${tunnel.url}/src/main.ts`;
    expect(await (await visit(url)).text()).toContain("version = 1");
    for (let i = 0; i < 5; i++) {
      const again = await visit(url);
      expect(again.headers.get("x-captun-cache")).toBe("hit");
      expect(again.headers.get("x-captun-generation")).toBeNull();
      expect(await again.text()).toContain("version = 1");
    }
    expect(origin.state.seen).toHaveLength(1);

    // An edit: the dev server bumps before anyone could ask for the new module.
    origin.state.version = 2;
    await tunnel.changes.bump();
    const edited = await visit(url);
    expect(edited.headers.get("x-captun-cache")).toBeNull();
    expect(await edited.text()).toContain("version = 2");
    expect(origin.state.seen).toHaveLength(2);
    expect(origin.state.seen[1]?.["if-none-match"]).toBe('W/"v1"');
    // Validated under the new generation: current again until the next change.
    expect((await visit(url)).headers.get("x-captun-cache")).toBe("hit");
    expect(origin.state.seen).toHaveLength(2);

    // A change that leaves this module as it was: one 304, then hits again.
    await tunnel.changes.bump();
    const confirmed = await visit(url);
    expect(confirmed.headers.get("x-captun-cache")).toBe("revalidated");
    expect(await confirmed.text()).toContain("version = 2");
    expect((await visit(url)).headers.get("x-captun-cache")).toBe("hit");
    expect(origin.state.seen).toHaveLength(3);
  });

  it("keeps revalidating what the client did not vouch for (a page, a proxied API), generation or not", async () => {
    await using origin = await moduleOrigin();
    await using tunnel = await generationTunnel(origin.url);
    for (let i = 0; i < 3; i++) await (await visit(`${tunnel.url}/api/todos`)).text();
    expect(origin.state.seen).toHaveLength(3);
  });

  it("keeps revalidating for a tunnel that never announced a generation, even when its origin sends the client's mark", async () => {
    // `captun <port>`: no generation. An origin that sets the header itself must not change that.
    await using origin = await moduleOrigin({ "x-captun-generation": "0" });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    for (let i = 0; i < 4; i++) {
      const response = await visit(`${tunnel.url}/src/main.ts`);
      expect(response.headers.get("x-captun-generation")).toBeNull();
      await response.text();
    }
    expect(origin.state.seen).toHaveLength(4);
    expect(origin.state.seen.slice(1).every((headers) => headers["if-none-match"] === 'W/"v1"')).toBe(true);
  });

  it("attacker: a visitor's x-captun-generation header never reaches the origin and never makes an answer current", async () => {
    await using origin = await moduleOrigin();
    await using tunnel = await generationTunnel(origin.url);
    const forged = { "x-captun-generation": String(tunnel.changes.value) };
    // Unvouched: a forged generation does not make it a hit.
    for (let i = 0; i < 3; i++) await (await visit(`${tunnel.url}/api/me`, { headers: forged })).text();
    expect(origin.state.seen).toHaveLength(3);
    // Vouched, then changed: a forged old or new generation does not bring back the old body.
    await (await visit(`${tunnel.url}/src/app.ts`, { headers: forged })).text();
    origin.state.version = 2;
    await tunnel.changes.bump();
    for (const value of [forged["x-captun-generation"], String(tunnel.changes.value), "999999"]) {
      const response = await visit(`${tunnel.url}/src/app.ts`, { headers: { "x-captun-generation": value } });
      expect(await response.text()).toContain("version = 2");
    }
    expect(origin.state.seen.every((headers) => headers["x-captun-generation"] === undefined)).toBe(true);
  });

  it("answers a vouched module to every visitor whatever their cookies; what it did not vouch for stays with the visitor it was fetched for", async () => {
    await using origin = await moduleOrigin();
    await using tunnel = await generationTunnel(origin.url);
    const as = (user: string) => ({ headers: { cookie: `session=${user}` } });
    expect(await (await visit(`${tunnel.url}/src/main.ts`, as("ann"))).text()).toContain("version = 1");
    const shared = await visit(`${tunnel.url}/src/main.ts`, as("bob"));
    expect(shared.headers.get("x-captun-cache")).toBe("hit");
    expect(await shared.text()).toContain("version = 1");
    expect(origin.state.seen).toHaveLength(1);
    // Not vouched for (a proxied API with an ETag that may ignore who asks): Bob's request goes to the origin, unconditional.
    await (await visit(`${tunnel.url}/api/me`, as("ann"))).text();
    const own = await visit(`${tunnel.url}/api/me`, as("bob"));
    expect(own.headers.get("x-captun-cache")).toBeNull();
    await own.text();
    expect(origin.state.seen).toHaveLength(3);
    expect(origin.state.seen[2]?.["if-none-match"]).toBeUndefined();
    // After a change Ann's copy is no longer vouched for: Bob does not get it, not even revalidated.
    origin.state.version = 2;
    await tunnel.changes.bump();
    const afterChange = await visit(`${tunnel.url}/src/main.ts`, as("bob"));
    expect(afterChange.headers.get("x-captun-cache")).toBeNull();
    expect(await afterChange.text()).toContain("version = 2");
    expect(origin.state.seen[3]?.["if-none-match"]).toBeUndefined();
  });

  it("attacker: an answer marked by something behind the dev server (a proxied API) is never taken as vouched for", async () => {
    let mark = "";
    const seen: string[] = [];
    await using origin = await startOrigin((req: IncomingMessage, res: ServerResponse) => {
      seen.push(String(req.headers.cookie));
      const headers = { "content-type": "application/json", "cache-control": "no-cache", etag: 'W/"me"', "x-captun-generation": mark };
      if (req.headers["if-none-match"] === 'W/"me"') return void res.writeHead(304, headers).end();
      res.writeHead(200, headers).end(JSON.stringify({ me: req.headers.cookie }));
    });
    await using tunnel = await generationTunnel(origin.url);
    mark = String(tunnel.changes.value);
    for (const user of ["ann", "ann", "bob", "bob"]) {
      const response = await visit(`${tunnel.url}/api/me`, { headers: { cookie: `session=${user}` } });
      expect(response.headers.get("x-captun-cache")).not.toBe("hit");
      expect(await response.json()).toEqual({ me: `session=${user}` });
    }
    expect(seen).toEqual(["session=ann", "session=ann", "session=bob", "session=bob"]);
  });

  it("a generation the server refuses (or a server without generations) does not break the client", async () => {
    await using origin = await moduleOrigin();
    await using tunnel = await tunnelToOrigin(server, origin.url);
    // The server answers a malformed generation with an error, as an older server answers the unknown method.
    await expect(tunnel.changed(-1)).resolves.toBeUndefined();
    await expect(tunnel.changed(1.5)).resolves.toBeUndefined();
    for (let i = 0; i < 2; i++) await (await visit(`${tunnel.url}/src/main.ts`)).text();
    expect(origin.state.seen).toHaveLength(2);
  });
});

describe("a Vite dev server's change generation", () => {
  it("goes up on file events and on every HMR message, each message held until the shard has its generation", async () => {
    await using server = await startTestServer();
    const root = await mkdtemp(join(tmpdir(), "captun-generation-"));
    await writeFile(join(root, "index.html"), "<!doctype html><script type=module src=/main.js></script>\n");
    await writeFile(join(root, "main.js"), "export const a = 1;\n");
    const vite = await createViteServer({ root, logLevel: "silent", configFile: false, server: { port: 0, strictPort: false } });
    try {
      await using origin = await moduleOrigin();
      await using tunnel = await tunnelToOrigin(server, origin.url);
      // What the browsers would receive, and the generation the shard had confirmed at that moment.
      let confirmed: number | undefined;
      const announce = tunnel.changed.bind(tunnel);
      Object.assign(tunnel, {
        changed: async (generation: number) => {
          await announce(generation);
          confirmed = generation;
        },
      });
      const delivered: { type: unknown; confirmed: number | undefined }[] = [];
      const hot = vite.environments.client.hot as unknown as { send: (payload: { type: string }) => void };
      hot.send = (payload) => void delivered.push({ type: payload.type, confirmed });
      const changes = trackViteChanges(vite);
      changes.follow(() => tunnel);
      await changes.announce(tunnel);

      // A dependency re-optimisation, a prune, a plugin's custom event: each bumps before it goes out.
      for (const type of ["full-reload", "prune", "custom"]) {
        const before = changes.value;
        hot.send({ type });
        expect(changes.value).toBeGreaterThan(before);
        await vi.waitFor(() => expect(delivered.at(-1)?.type).toBe(type));
        expect(delivered.at(-1)?.confirmed).toBe(changes.value);
      }
      // A watched file: the watcher event and Vite's invalidation move it too.
      const before = changes.value;
      await writeFile(join(root, "main.js"), "export const a = 2;\n");
      await writeFile(join(root, "added.js"), "export const b = 1;\n");
      await vi.waitFor(() => expect(changes.value).toBeGreaterThanOrEqual(before + 2), { timeout: 10_000 });
    } finally {
      await vite.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
