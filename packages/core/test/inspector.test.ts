// The inspector: capture through a real tunnel (workerd + client + node:http origin), redaction,
// the JSON API with replay, HAR export, and that it stays local-only.
import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCapture } from "../src/capture.ts";
import { createCaptunTunnel } from "../src/client.ts";
import { createDevTunnel } from "../src/dev-server/dev-tunnel.ts";
import { mountInspectorOnServer, startInspectorServer } from "../src/inspector/node.ts";
import { createOriginFetcher } from "../src/origin.ts";
import { endpointSpellings, expectBlocked } from "./_dev-endpoints.ts";
import { readBody, startOrigin, startTestServer, type TestServer, uniqueName, visit } from "./_harness.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON answered by the API under test, checked field by field
type Json = any;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

/** A tunnel to `originUrl` whose requests are captured, with the inspector on its own loopback server. */
async function inspectedTunnel(originUrl: string, options: { maxBodyBytes?: number } = {}) {
  const capture = createCapture(options);
  const fetcher = createOriginFetcher(originUrl);
  const inspector = await startInspectorServer(capture, { port: 0 });
  const tunnel = await createCaptunTunnel({
    url: server.tunnelUrl(uniqueName("insp")),
    secret: server.secret,
    fetch: capture.wrap(fetcher),
  });
  const api = async (path: string, init?: RequestInit) => fetch(new URL(path, inspector.url), init);
  return Object.assign(tunnel, {
    capture,
    inspector,
    api,
    async [Symbol.asyncDispose]() {
      await tunnel.close();
      await fetcher.close();
      await inspector.close();
    },
  });
}

async function settled(api: (path: string) => Promise<Response>, id: string) {
  let detail: Record<string, Json> = {};
  await expect
    .poll(async () => {
      detail = await (await api(`/api/requests/${id}`)).json();
      return detail.outcome;
    })
    .not.toBe("pending");
  return detail;
}

describe("capture", () => {
  it("records a JSON POST: method, URL, headers, body, response, timings, visitor address, outcome", async () => {
    await using origin = await startOrigin(async (req, res) => {
      const body = JSON.parse((await readBody(req)).toString());
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ received: body.event }));
    });
    await using tunnel = await inspectedTunnel(origin.url);
    const sent = { event: "invoice.paid", amount: 42 };
    const answer = await visit(`${tunnel.url}/webhooks/stripe?live=1`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-signature": "t=1,v1=abc" },
      body: JSON.stringify(sent),
    });
    expect(await answer.json()).toEqual({ received: "invoice.paid" });

    const list = await (await tunnel.api("/api/requests")).json();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: "1", method: "POST", path: "/webhooks/stripe?live=1", status: 200 });
    expect(typeof list[0].durationMs === "number" || list[0].durationMs === null).toBe(true);
    expect(Date.parse(list[0].startedAt)).toBeGreaterThan(Date.now() - 60_000);

    const detail = await settled(tunnel.api, "1");
    expect(detail.outcome).toBe("complete");
    expect(detail.url).toBe(`${tunnel.url}/webhooks/stripe?live=1`);
    expect(detail.visitorAddress).toMatch(/^(127\.0\.0\.1|::1)$/);
    expect(detail.request.headers).toContainEqual(["x-signature", "t=1,v1=abc"]);
    expect(detail.request.body).toMatchObject({ encoding: "utf8", truncated: false, size: JSON.stringify(sent).length });
    expect(JSON.parse(detail.request.body.text)).toEqual(sent);
    expect(detail.response.status).toBe(200);
    expect(detail.response.headers).toContainEqual(["content-type", "application/json"]);
    expect(JSON.parse(detail.response.body.text)).toEqual({ received: "invoice.paid" });
    expect(detail.timings.waitMs).toBeGreaterThanOrEqual(0);
    expect(detail.timings.receiveMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(detail.endedAt)).toBeGreaterThanOrEqual(Date.parse(detail.firstByteAt));
  });

  it("keeps the first MiB of a streamed download, marks it truncated, and lets the visitor have all of it", async () => {
    const payload = randomBytes(3 * 1024 * 1024);
    await using origin = await startOrigin((_req, res) => {
      res.setHeader("content-type", "application/octet-stream");
      // Streamed in pieces, no Content-Length.
      let offset = 0;
      const next = () => {
        while (offset < payload.length) {
          const piece = payload.subarray(offset, offset + 100_000);
          offset += piece.length;
          if (!res.write(piece)) return void res.once("drain", next);
        }
        res.end();
      };
      next();
    });
    await using tunnel = await inspectedTunnel(origin.url);
    const answer = await visit(`${tunnel.url}/download`);
    expect(Buffer.from(await answer.arrayBuffer()).equals(payload)).toBe(true);

    const detail = await settled(tunnel.api, "1");
    expect(detail.outcome).toBe("complete");
    expect(detail.response.body).toMatchObject({ size: payload.length, truncated: true, captured: 1024 * 1024, encoding: "base64" });
    expect(Buffer.from(detail.response.body.text, "base64").equals(payload.subarray(0, 1024 * 1024))).toBe(true);
  });

  it("records a download the visitor walked away from as cancelled", async () => {
    await using origin = await startOrigin((_req, res) => {
      // Not a compressible type: Miniflare's entry Worker would hold a gzipped body back.
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(10 * 1024 * 1024) });
      res.write(randomBytes(256 * 1024));
      // Then a trickle (workerd notices a visitor that left when it next writes), never the whole body.
      const trickle = setInterval(() => (res.destroyed ? clearInterval(trickle) : res.write(randomBytes(1024))), 50);
      res.once("close", () => clearInterval(trickle));
    });
    await using tunnel = await inspectedTunnel(origin.url);
    const controller = new AbortController();
    const answer = await visit(`${tunnel.url}/slow`, { signal: controller.signal });
    const reader = answer.body!.getReader();
    await reader.read();
    controller.abort();
    let detail: Record<string, Json> = {};
    await expect
      .poll(
        async () => {
          detail = await (await tunnel.api("/api/requests/1")).json();
          return detail.outcome;
        },
        { timeout: 10_000 },
      )
      .not.toBe("pending");
    expect(detail.outcome).toBe("cancelled");
  });

  it("bounds the ring buffer in count and in bytes, dropping the oldest", async () => {
    const capture = createCapture({ maxEntries: 3, maxBytes: 10_000, maxBodyBytes: 4_000 });
    const fetcher = capture.wrap(async (request) => new Response(await request.text()));
    for (let i = 1; i <= 5; i++) await (await fetcher(new Request(`http://x/${i}`, { method: "POST", body: "a" }))).text();
    expect(capture.list().map((e) => e.url)).toEqual(["http://x/5", "http://x/4", "http://x/3"]);
    for (let i = 6; i <= 8; i++) await (await fetcher(new Request(`http://x/${i}`, { method: "POST", body: "b".repeat(3_000) }))).text();
    // Each exchange keeps 6,000 bytes (request + response): only one fits in 10,000.
    expect(capture.list().map((e) => e.url)).toEqual(["http://x/8"]);
  });
});

describe("redaction", () => {
  it("hides Authorization, Cookie, Set-Cookie and captun tokens in the API and HAR unless revealed", async () => {
    await using origin = await startOrigin((_req, res) => {
      res.setHeader("set-cookie", ["session=s3cr3t; HttpOnly", "theme=dark"]);
      res.end("ok");
    });
    await using tunnel = await inspectedTunnel(origin.url);
    await (
      await visit(`${tunnel.url}/account?captun-token=tok123&page=2`, {
        headers: { authorization: "Bearer abc.def", cookie: "session=s3cr3t", "x-captun-token": "tok456", "x-plain": "visible" },
      })
    ).text();
    await settled(tunnel.api, "1");

    const shown = JSON.stringify(await (await tunnel.api("/api/requests/1")).json());
    const har = JSON.stringify(await (await tunnel.api("/api/har")).json());
    const list = JSON.stringify(await (await tunnel.api("/api/requests")).json());
    for (const text of [shown, har, list]) {
      for (const secret of ["abc.def", "s3cr3t", "tok123", "tok456"]) expect(text).not.toContain(secret);
    }
    expect(shown).toContain("[redacted]");
    expect(shown).toContain("visible");
    expect(shown).toContain("page=2");

    const revealed = JSON.stringify(await (await tunnel.api("/api/requests/1?reveal=1")).json());
    for (const secret of ["Bearer abc.def", "session=s3cr3t; HttpOnly", "tok123", "tok456"]) expect(revealed).toContain(secret);
  });
});

describe("JSON API and replay", () => {
  it("replays as-is and with an edited body; the origin gets both, each a new entry linked to the original", async () => {
    const received: { method: string; url: string; body: string; auth: string | undefined }[] = [];
    await using origin = await startOrigin(async (req, res) => {
      const body = (await readBody(req)).toString();
      received.push({ method: req.method!, url: req.url!, body, auth: req.headers.authorization });
      res.setHeader("content-type", "text/plain");
      res.end(`got ${body}`);
    });
    await using tunnel = await inspectedTunnel(origin.url);
    await (
      await visit(`${tunnel.url}/hook`, {
        method: "POST",
        headers: { authorization: "Bearer keep-me", "content-type": "text/plain" },
        body: "v1",
      })
    ).text();
    await settled(tunnel.api, "1");

    const asIs = await tunnel.api("/api/requests/1/replay", { method: "POST" });
    expect(asIs.status).toBe(200);
    expect(await asIs.json()).toMatchObject({
      id: "2",
      replayOf: "1",
      status: 200,
      outcome: "complete",
      response: { body: { text: "got v1" } },
    });

    // Headers as the page shows them (secrets redacted) are sent with their captured values.
    const original = await (await tunnel.api("/api/requests/1")).json();
    const edited = await tunnel.api("/api/requests/1/replay", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        method: "PUT",
        path: "/hook/edited?x=1",
        headers: [...original.request.headers, ["x-edited", "yes"]],
        body: "v2",
      }),
    });
    expect(edited.status).toBe(200);
    expect(await edited.json()).toMatchObject({
      id: "3",
      replayOf: "1",
      method: "PUT",
      path: "/hook/edited?x=1",
      response: { body: { text: "got v2" } },
    });
    expect(received).toEqual([
      { method: "POST", url: "/hook", body: "v1", auth: "Bearer keep-me" },
      { method: "POST", url: "/hook", body: "v1", auth: "Bearer keep-me" },
      { method: "PUT", url: "/hook/edited?x=1", body: "v2", auth: "Bearer keep-me" },
    ]);

    const list = await (await tunnel.api("/api/requests")).json();
    expect(list.map((row: { id: string }) => row.id)).toEqual(["3", "2", "1"]);
    expect((await tunnel.api("/api/requests/1/replay", { method: "POST", body: "{not json" })).status).toBe(400);
    expect((await tunnel.api("/api/requests/99")).status).toBe(404);
    expect((await tunnel.api("/api/requests", { method: "DELETE" })).status).toBe(204);
    expect(await (await tunnel.api("/api/requests")).json()).toEqual([]);
  });

  it("refuses to replay a truncated body as-is, but replays it with an edited one", async () => {
    await using origin = await startOrigin(async (req, res) => res.end(String((await readBody(req)).length)));
    await using tunnel = await inspectedTunnel(origin.url, { maxBodyBytes: 1000 });
    await (await visit(`${tunnel.url}/upload`, { method: "POST", body: "x".repeat(5000) })).text();
    await settled(tunnel.api, "1");
    const refused = await tunnel.api("/api/requests/1/replay", { method: "POST" });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("edited body");
    const edited = await tunnel.api("/api/requests/1/replay", { method: "POST", body: JSON.stringify({ body: "small" }) });
    expect(await edited.json()).toMatchObject({ response: { body: { text: "5" } } });
  });

  it("exports HAR 1.2 with the fields the spec requires", async () => {
    await using origin = await startOrigin(async (req, res) => {
      await readBody(req);
      res.setHeader("content-type", "image/png");
      res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]));
    });
    await using tunnel = await inspectedTunnel(origin.url);
    await (
      await visit(`${tunnel.url}/form?q=1`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "a=1&b=two",
      })
    ).arrayBuffer();
    await settled(tunnel.api, "1");
    const response = await tunnel.api("/api/har");
    expect(response.headers.get("content-disposition")).toContain("captun.har");
    const har = JSON.parse(await response.text());
    expectValidHar(har);
    const [entry] = har.log.entries;
    expect(entry.request).toMatchObject({ method: "POST", queryString: [{ name: "q", value: "1" }] });
    expect(entry.request.postData).toMatchObject({
      mimeType: "application/x-www-form-urlencoded",
      text: "a=1&b=two",
      params: [
        { name: "a", value: "1" },
        { name: "b", value: "two" },
      ],
    });
    expect(entry.response.content).toMatchObject({ mimeType: "image/png", encoding: "base64", size: 8 });
    expect(Buffer.from(entry.response.content.text, "base64")).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]));
  });
});

/** The required fields and types of HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/). */
function expectValidHar(har: Json): void {
  const nameValues = (list: unknown) => {
    expect(Array.isArray(list)).toBe(true);
    for (const item of list as { name: unknown; value: unknown }[]) {
      expect(typeof item.name).toBe("string");
      expect(typeof item.value).toBe("string");
    }
  };
  expect(har.log.version).toBe("1.2");
  expect(typeof har.log.creator.name).toBe("string");
  expect(typeof har.log.creator.version).toBe("string");
  expect(har.log.entries.length).toBeGreaterThan(0);
  for (const entry of har.log.entries) {
    expect(new Date(entry.startedDateTime).toISOString()).toBe(entry.startedDateTime);
    expect(entry.time).toBeGreaterThanOrEqual(0);
    const { request, response, timings } = entry;
    expect(typeof request.method).toBe("string");
    expect(() => new URL(request.url)).not.toThrow();
    expect(typeof request.httpVersion).toBe("string");
    for (const list of [request.cookies, request.headers, request.queryString, response.cookies, response.headers]) nameValues(list);
    expect(typeof request.headersSize).toBe("number");
    expect(typeof request.bodySize).toBe("number");
    if (request.postData) {
      expect(typeof request.postData.mimeType).toBe("string");
      expect(typeof request.postData.text).toBe("string");
    }
    expect(typeof response.status).toBe("number");
    expect(typeof response.statusText).toBe("string");
    expect(typeof response.httpVersion).toBe("string");
    expect(typeof response.content.size).toBe("number");
    expect(typeof response.content.mimeType).toBe("string");
    expect(typeof response.redirectURL).toBe("string");
    expect(typeof response.headersSize).toBe("number");
    expect(typeof response.bodySize).toBe("number");
    expect(typeof entry.cache).toBe("object");
    for (const key of ["send", "wait", "receive"]) expect(timings[key]).toBeGreaterThanOrEqual(0);
    for (const key of ["blocked", "dns", "connect", "ssl"]) expect(timings[key]).toBeGreaterThanOrEqual(-1);
    expect(entry.time).toBe(timings.send + timings.wait + timings.receive);
  }
}

/** A GET/POST to the inspector with a chosen Host and Origin (undici's fetch drops a caller's Host). */
function rawRequest(url: string, init: { method?: string; host?: string; origin?: string }): Promise<number> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: init.host ?? target.host };
    if (init.origin) headers.origin = init.origin;
    httpRequest({ host: target.hostname, port: target.port, path: target.pathname, method: init.method ?? "GET", headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on("error", reject)
      .end();
  });
}

describe("local only", () => {
  it("listens on 127.0.0.1, moves to the next free port when taken, and refuses other hosts and other sites", async () => {
    const capture = createCapture();
    await using first = await startInspectorServer(capture, { port: 0 });
    const taken = Number(new URL(first.url).port);
    await using second = await startInspectorServer(capture, { port: taken });
    expect(new URL(second.url).hostname).toBe("127.0.0.1");
    expect(Number(new URL(second.url).port)).toBeGreaterThan(taken);

    expect(await rawRequest(`${first.url}api/requests`, {})).toBe(200);
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
    expect(await rawRequest(`${first.url}api/requests`, { host: `evil.example:${taken}` })).toBe(421);
    // Another site's form posting to the inspector cannot replay or clear.
    expect(await rawRequest(`${first.url}api/requests`, { method: "DELETE", origin: "https://evil.example" })).toBe(403);
    expect(await rawRequest(`${first.url}api/requests`, { method: "DELETE", origin: first.url.slice(0, -1) })).toBe(204);
  });

  it("serves /__captun/ on a dev server's local URL, and 404 through its public URL in every spelling", async () => {
    const devServer = createServer((req, res) => res.end(`app ${req.url}`));
    await new Promise<void>((resolve) => devServer.listen(0, "127.0.0.1", resolve));
    const local = `http://127.0.0.1:${(devServer.address() as AddressInfo).port}`;
    const name = uniqueName("devinsp");
    const tunnelUrl = server.tunnelUrl(name);
    await using tunnel = createDevTunnel({
      settings: {
        name,
        serverUrl: server.url,
        secret: server.secret,
        routing: server.customHostname ? "subdomain" : "folder",
        customHostname: server.customHostname,
        tunnelUrl,
        publicHostname: new URL(tunnelUrl).hostname,
        pathPrefix: "",
        access: { mode: "public", publicPaths: [] },
        shareUrl: `${tunnelUrl}/`,
      },
      httpServer: () => devServer,
      logger: { info() {}, warn() {}, error() {} },
    });
    const unmount = mountInspectorOnServer(devServer, tunnel.capture);
    try {
      tunnel.start();
      await expect.poll(async () => (await visit(`${tunnelUrl}/page`)).status, { timeout: 15_000 }).toBe(200);
      expect(await (await fetch(`${local}/page`)).text()).toBe("app /page");

      const page = await fetch(`${local}/__captun/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("captun inspector");
      const list = await (await fetch(`${local}/__captun/api/requests`)).json();
      expect(list.map((row: { path: string }) => row.path)).toContain("/page");

      const through = await visit(`${tunnelUrl}/__captun/api/requests`);
      expect(through.status).toBe(404);
      expect(through.headers.get("x-captun-error")).toBe("dev-endpoint-blocked");
      expect(await through.text()).not.toContain("/page");
      await expectBlocked(tunnelUrl, [...endpointSpellings("", "/__captun", "/"), ...endpointSpellings("", "/__captun", "/api/requests")]);
    } finally {
      unmount();
      devServer.closeAllConnections();
      await new Promise((resolve) => devServer.close(resolve));
    }
  });
});
