import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaptunTunnel } from "../src/index.ts";
import { ERROR_HEADER } from "../src/protocol.ts";
import {
  readBody,
  startOrigin,
  startTestServer,
  type TestServer,
  tunnelToOrigin,
  uniqueName,
  uploadAtFullSpeed,
  visit,
  waitFor,
} from "./_harness.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

describe("HTTP through the tunnel", () => {
  it("resolves only once registered, with the public URL and name", async () => {
    await using origin = await startOrigin((_req, res) => res.end("ok"));
    const name = uniqueName();
    await using tunnel = await tunnelToOrigin(server, origin.url, name);
    expect(tunnel.name).toBe(name);
    expect(tunnel.url).toBe(server.tunnelUrl(name));
    const response = await visit(tunnel.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok");
  });

  it("passes every method, the body, and the path and query byte for byte", async () => {
    await using origin = await startOrigin(async (req, res) => {
      const body = await readBody(req);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ method: req.method, url: req.url, body: body.toString() }));
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const path = "/a%2Fb/%25c;d/ü?x=1&x=2&y=%20+&z";
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"]) {
      const hasBody = method !== "GET";
      const response = await visit(tunnel.url + path, { method, body: hasBody ? `body of ${method}` : undefined });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        method,
        url: new URL(tunnel.url + path).pathname + new URL(tunnel.url + path).search,
        body: hasBody ? `body of ${method}` : "",
      });
    }
  });

  it("round-trips headers, keeps Set-Cookie values apart, strips hop-by-hop and sets forwarding headers", async () => {
    let seen: Record<string, string | string[] | undefined> = {};
    await using origin = await startOrigin((req, res) => {
      seen = req.headers;
      res.setHeader("set-cookie", ["a=1; Path=/", "b=2; HttpOnly"]);
      res.setHeader("x-custom", "value");
      res.setHeader("connection", "x-origin-hop");
      res.setHeader("x-origin-hop", "secret");
      res.statusCode = 201;
      res.end("created");
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const response = await visit(`${tunnel.url}/h`, {
      headers: {
        cookie: "c=3; d=4",
        "x-visitor": "v",
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-host": "evil.example",
        forwarded: "for=203.0.113.9",
      },
    });

    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; HttpOnly"]);
    expect(response.headers.get("x-custom")).toBe("value");
    expect(seen.forwarded).not.toContain("203.0.113.9");
    expect(response.headers.get("x-origin-hop")).toBeNull();
    expect(seen.cookie).toBe("c=3; d=4");
    expect(seen["x-visitor"]).toBe("v");
    // fetch() will not send a Connection header; a raw request does.
    const raw = await rawRequest(`${tunnel.url}/h`, { connection: "keep-alive, x-drop-me", "x-drop-me": "1", "keep-alive": "timeout=5" });
    expect(raw.status).toBe(201);
    expect(seen["x-drop-me"]).toBeUndefined();
    expect(seen["keep-alive"]).toBeUndefined();
    expect(seen["x-forwarded-for"]).not.toContain("203.0.113.9");
    expect(seen["x-forwarded-host"]).toBe(new URL(tunnel.url).host);
    expect(seen["x-forwarded-proto"]).toBe(new URL(tunnel.url).protocol.slice(0, -1));
    expect(seen.host).toBe(new URL(tunnel.url).host);
  });

  it("keeps HEAD, 204 and 304 bodiless", async () => {
    await using origin = await startOrigin((req, res) => {
      if (req.url === "/204") res.statusCode = 204;
      else if (req.url === "/304") res.statusCode = 304;
      else res.setHeader("content-length", "5");
      res.end(req.method === "HEAD" || req.url !== "/" ? undefined : "hello");
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const head = await visit(`${tunnel.url}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("5");
    expect(await head.text()).toBe("");
    for (const status of [204, 304]) {
      const response = await visit(`${tunnel.url}/${status}`);
      expect(response.status).toBe(status);
      expect(await response.text()).toBe("");
    }
  });

  it("passes Content-Encoding through without decoding or compressing again", async () => {
    const plain = Buffer.from("compressible ".repeat(2000));
    const gz = gzipSync(plain);
    await using origin = await startOrigin((_req, res) => {
      res.setHeader("content-encoding", "gzip");
      res.setHeader("content-type", "text/plain");
      res.end(gz);
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const { request } = await import("undici");
    // undici's request() does not decompress, so we see the bytes exactly as they travelled.
    const url = new URL(tunnel.url);
    const answer = await request(`http://127.0.0.1:${url.port}${url.pathname === "/" ? "" : url.pathname}/`, {
      headers: { host: url.host, "accept-encoding": "gzip, br" },
    });
    expect(answer.headers["content-encoding"]).toBe("gzip");
    expect(sha256(Buffer.from(await answer.body.arrayBuffer()))).toBe(sha256(gz));
  });
});

describe("streaming", () => {
  it.each([2, 64])("streams a %i MiB response intact", async (mib) => {
    const data = randomBytes(mib * 1024 * 1024);
    await using origin = await startOrigin((_req, res) => {
      // Big writes: the client must split them below workerd's WebSocket message cap.
      res.write(data.subarray(0, data.length / 2));
      res.end(data.subarray(data.length / 2));
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const response = await visit(`${tunnel.url}/big`);
    expect(response.status).toBe(200);
    expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha256(data));
  });

  it("streams a 16 MiB upload intact", async () => {
    const data = randomBytes(16 * 1024 * 1024);
    await using origin = await startOrigin(async (req, res) => {
      const body = await readBody(req);
      res.end(JSON.stringify({ length: body.length, sha256: sha256(body) }));
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < data.length; i += 1024 * 1024) controller.enqueue(data.subarray(i, i + 1024 * 1024));
        controller.close();
      },
    });
    const response = await visit(`${tunnel.url}/upload`, { method: "POST", body, duplex: "half" } as never);
    expect(await response.json()).toEqual({ length: data.length, sha256: sha256(data) });
  });

  it("delivers server-sent events as they are sent", async () => {
    let release!: () => void;
    const secondEventAllowed = new Promise<void>((resolve) => {
      release = resolve;
    });
    await using origin = await startOrigin(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write("data: one\n\n");
      await secondEventAllowed;
      res.end("data: two\n\n");
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const response = await visit(`${tunnel.url}/events`);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    // The first event must arrive while the origin is still holding back the second.
    let text = "";
    while (!text.includes("data: one\n\n")) text += decoder.decode((await reader.read()).value);
    expect(text).not.toContain("two");
    release();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toBe("data: one\n\ndata: two\n\n");
  });
});

describe("what visitors see when something is wrong", () => {
  it("503 with Retry-After when no client is connected, for unknown and known names alike", async () => {
    const response = await visit(`${server.tunnelUrl(uniqueName())}/x`);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBeTruthy();
    expect(response.headers.get(ERROR_HEADER)).toBe("tunnel-offline");
    expect(await response.text()).not.toMatch(/at \w+ \(/);
  });

  it("a small HTML page for browsers", async () => {
    const response = await visit(`${server.tunnelUrl(uniqueName())}/`, { headers: { accept: "text/html" } });
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("503");
  });

  it("502 when the client's fetch throws or the origin refuses", async () => {
    await using thrower = await createCaptunTunnel({
      url: server.tunnelUrl(uniqueName()),
      secret: server.secret,
      fetch: () => {
        throw new Error("internal detail that must not leak");
      },
    });
    const response = await visit(`${thrower.url}/`);
    expect(response.status).toBe(502);
    expect(response.headers.get(ERROR_HEADER)).toBe("origin-error");
    expect(await response.text()).not.toContain("internal detail");

    await using refused = await tunnelToOrigin(server, "http://127.0.0.1:1");
    expect((await visit(`${refused.url}/`)).status).toBe(502);
  });

  it("504 when the origin sends no headers before the deadline", async () => {
    await using slow = await startTestServer({ vars: { HEADERS_TIMEOUT_MS: "300" } });
    await using tunnel = await createCaptunTunnel({
      url: slow.tunnelUrl(uniqueName()),
      secret: slow.secret,
      fetch: () => new Promise<Response>(() => {}),
    });
    const response = await visit(`${tunnel.url}/`);
    expect(response.status).toBe(504);
    expect(response.headers.get(ERROR_HEADER)).toBe("origin-timeout");
  });

  it("413 before anything reaches the client when the body is over the limit", async () => {
    await using small = await startTestServer({ vars: { MAX_BODY_BYTES: "1000" } });
    let calls = 0;
    await using tunnel = await createCaptunTunnel({
      url: small.tunnelUrl(uniqueName()),
      secret: small.secret,
      fetch: async (request) => {
        calls++;
        return new Response(`read ${(await request.arrayBuffer()).byteLength}`);
      },
    });
    const response = await visit(`${tunnel.url}/`, { method: "POST", body: "x".repeat(1001) });
    expect(response.status).toBe(413);
    expect(calls).toBe(0);
    const chunked = await visit(`${tunnel.url}/`, {
      method: "POST",
      body: new ReadableStream({
        start(c) {
          c.enqueue(new Uint8Array(600));
          c.enqueue(new Uint8Array(600));
          c.close();
        },
      }),
      duplex: "half",
    } as never);
    expect(chunked.status).toBe(413);
    expect(await chunked.text()).not.toContain("read");
    // An upload far past what socket buffers hold, sent as fast as Node's own client sends it:
    // refused from its headers, the 413 must still reach the visitor whole (not a reset connection
    // answered 502), and nothing reach the client.
    const callsBefore = calls;
    for (const size of [2_000_000, 8_000_000]) {
      const { status, code, text } = await uploadAtFullSpeed(`${tunnel.url}/`, size);
      const answer = `${status} ${code} ${text.includes("limited to 1000 bytes")}`;
      expect(answer).toBe("413 body-too-large true");
    }
    expect(calls).toBe(callsBefore);
  });

  it("414 and 431 for oversized URLs and headers", async () => {
    expect((await visit(`${server.tunnelUrl(uniqueName())}/${"a".repeat(20_000)}`)).status).toBe(414);
    expect((await visit(`${server.tunnelUrl(uniqueName())}/`, { headers: { "x-big": "a".repeat(40_000) } })).status).toBe(431);
  });

  // workerd ends an errored *chunked* body with a clean terminator (cloudflare/workerd#6818), so a
  // visitor can only detect truncation when the length was declared; most origins declare it.
  it("errors the visitor's body when the client dies mid-response", async () => {
    await using origin = await startOrigin((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(1024 * 1024 * 1024) });
      const timer = setInterval(() => res.write(randomBytes(64 * 1024)), 5);
      res.on("close", () => clearInterval(timer));
    });
    const child = spawnClient(server.tunnelUrl(uniqueName()), server.secret, origin.url);
    try {
      const { url } = await firstLine(child);
      const response = await visit(`${url}/stream`);
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      let received = 0;
      while (received < 512 * 1024) received += (await reader.read()).value?.byteLength ?? 0;
      child.kill("SIGKILL");
      const outcome = await (async () => {
        try {
          while (!(await reader.read()).done) {}
          return "clean end";
        } catch {
          return "error";
        }
      })();
      expect(outcome).toBe("error");
      // A POST: a GET would wait up to RECONNECT_HOLD_MS for the client to come back.
      await waitFor(async () => (await visit(`${url}/`, { method: "POST" })).status === 503, 10_000, "503 after the client died");
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("connect secret and replacement", () => {
  it("refuses a missing or wrong secret with the same 401", async () => {
    const answers = [];
    for (const secret of [undefined, "wrong"]) {
      const error = await createCaptunTunnel({ url: server.tunnelUrl(uniqueName()), secret, fetch: () => new Response() }).catch(
        (e: Error) => e,
      );
      expect(error).toMatchObject({ name: "CaptunAuthError" });
      answers.push(error);
    }
    const connectUrl = `${server.tunnelUrl(uniqueName())}/__captun-connect`;
    const bodies = await Promise.all(
      ["", "Bearer wrong"].map(async (authorization) => {
        const response = await rawRequest(connectUrl, {
          connection: "upgrade",
          upgrade: "websocket",
          "sec-websocket-version": "13",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          authorization,
        });
        return [response.status, response.body];
      }),
    );
    expect(bodies[0]).toEqual(bodies[1]);
    expect(bodies[0]?.[0]).toBe(401);
    expect(String(bodies[0]?.[1])).not.toContain(server.secret);
  });

  it("lets the newest client win and tells the old one it was replaced", async () => {
    const name = uniqueName();
    await using first = await createCaptunTunnel({
      url: server.tunnelUrl(name),
      secret: server.secret,
      fetch: () => new Response("first"),
    });
    expect(await (await visit(first.url)).text()).toBe("first");
    await using second = await createCaptunTunnel({
      url: server.tunnelUrl(name),
      secret: server.secret,
      fetch: () => new Response("second"),
    });
    const closed = await first.closed;
    expect(closed.code).toBe(4001);
    expect(closed.reason).toContain("replaced");
    // The old session's late cleanup must not have removed the new one.
    expect(await (await visit(second.url)).text()).toBe("second");
  });

  it("spreads tunnels over several shards and reaches each", async () => {
    await using sharded = await startTestServer({ shards: 4 });
    const tunnels = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        createCaptunTunnel({ url: sharded.tunnelUrl(uniqueName(`s${i}`)), secret: sharded.secret, fetch: () => new Response(String(i)) }),
      ),
    );
    try {
      const texts = await Promise.all(tunnels.map(async (t) => (await visit(t.url)).text()));
      expect(texts).toEqual(tunnels.map((_, i) => String(i)));
    } finally {
      await Promise.all(tunnels.map((t) => t.close()));
    }
  });
});

/** A request with exactly these headers (fetch() refuses Connection and Upgrade). */
async function rawRequest(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { request } = await import("node:http");
  const { localhostLookup } = await import("../src/_localhost.ts");
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, lookup: localhostLookup as never }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function spawnClient(url: string, secret: string, origin: string): ChildProcess {
  return spawn(process.execPath, [new URL("./fixtures/tunnel-client.ts", import.meta.url).pathname, url, secret, origin], {
    stdio: ["ignore", "pipe", "inherit"],
  });
}

async function firstLine(child: ChildProcess): Promise<{ url: string }> {
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([once(lines, "line"), once(child, "exit").then(() => ["exit"])])) as [string];
  if (line === "exit") throw new Error("tunnel client exited before it was ready");
  return JSON.parse(line);
}
