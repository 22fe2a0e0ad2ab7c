// Hop compression (hop-compression.ts on the client, worker/src/hop-decoding.ts in the shard):
// compressible bodies cross the laptop's uplink gzipped, and every visitor still gets the origin's
// exact bytes, in order, as they were streamed. A relay between client and server counts what the
// client really sent.
import { createHash } from "node:crypto";
import { type IncomingHttpHeaders, request } from "node:http";
import { type AddressInfo, createServer, Socket } from "node:net";
import { createGunzip, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localhostLookup } from "../src/_localhost.ts";
import { withHopCompression } from "../src/hop-compression.ts";
import { HOP_ACCEPT_HEADER, HOP_ENCODING_HEADER } from "../src/hop-encoding.ts";
import { createCaptunTunnel, createOriginFetcher } from "../src/index.ts";
import { tunnelUrlFor } from "../src/routing.ts";
import { startOrigin, startTestServer, type TestServer, uniqueName } from "./_harness.ts";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
/** Text that compresses like source code does (repetitive, not trivially). */
const source = (bytes: number) => {
  let text = "";
  for (let i = 0; text.length < bytes; i++) text += `export function f${i}(a, b) { return a * ${i} + b; } // line ${i}\n`;
  return Buffer.from(text.slice(0, bytes));
};

/** A raw visitor request: no decoding, so the test sees the bytes and headers that really arrived. */
function raw(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers, lookup: localhostLookup as never }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
}

/** A TCP relay between the tunnel client and the server that counts the bytes the client sent (its uplink). */
async function countingRelay(target: string) {
  const port = Number(new URL(target).port);
  const sockets = new Set<Socket>();
  let uplink = 0;
  const server = createServer((client) => {
    const upstream = new Socket().connect(port, "127.0.0.1");
    sockets.add(client).add(upstream);
    client.on("data", (chunk: Buffer) => (uplink += chunk.byteLength));
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    get uplink() {
      return uplink;
    },
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("hop compression through a real shard", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
  });

  async function tunnelTo(originUrl: string) {
    const fetcher = createOriginFetcher(originUrl);
    const tunnel = await createCaptunTunnel({ url: server.tunnelUrl(uniqueName("hop")), secret: server.secret, fetch: fetcher });
    return Object.assign(tunnel, {
      async [Symbol.asyncDispose]() {
        await tunnel.close();
        await fetcher.close();
      },
    });
  }

  it("sends a compressible body gzipped over the uplink; visitors with and without gzip get the exact bytes", async () => {
    const body = source(1024 * 1024);
    const seen: IncomingHttpHeaders[] = [];
    await using origin = await startOrigin((req, res) => {
      seen.push(req.headers);
      const chunked = req.url === "/chunked";
      res.writeHead(200, { "content-type": "text/javascript", ...(chunked ? {} : { "content-length": String(body.byteLength) }) });
      res.end(body);
    });
    await using relay = await countingRelay(server.url);
    const name = uniqueName("hop");
    const fetcher = createOriginFetcher(origin.url);
    await using _tunnel = await createCaptunTunnel({
      url: tunnelUrlFor(relay.url, name, server.customHostname),
      secret: server.secret,
      fetch: fetcher,
    });
    const url = server.tunnelUrl(name);
    for (const path of ["/app.js", "/chunked"]) {
      const before = relay.uplink;
      const gzip = await raw(`${url}${path}?gzip`, { "accept-encoding": "gzip" });
      expect(gzip.headers["content-encoding"]).toBe("gzip");
      expect(gzip.headers.vary).toMatch(/accept-encoding/i);
      expect(sha256(gunzipSync(gzip.body))).toBe(sha256(body));
      // The whole megabyte crossed the uplink as a fraction of itself.
      expect(relay.uplink - before).toBeLessThan(body.byteLength / 3);

      const plain = await raw(`${url}${path}?identity`, { "accept-encoding": "identity" });
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(sha256(plain.body)).toBe(sha256(body));
    }
    // The origin never sees the hop's own headers, nor one a visitor sent.
    await raw(`${url}/app.js?forged`, { [HOP_ACCEPT_HEADER]: "gzip", [HOP_ENCODING_HEADER]: "gzip", "accept-encoding": "identity" });
    for (const headers of seen) expect(Object.keys(headers).filter((h) => h.startsWith("x-captun"))).toEqual([]);
    await fetcher.close();
  });

  it.each(["gzip", "identity"])(
    "keeps streams streaming for a %s visitor: the first chunk (or event) arrives before the origin writes the next",
    async (acceptEncoding) => {
      const gates = new Map<string, () => void>();
      const parts = {
        "/page": [source(8 * 1024), Buffer.from("<p>the rest</p>".repeat(200))],
        "/events": [Buffer.from("data: one\n\n"), Buffer.from("data: two\n\n")],
      } as const;
      await using origin = await startOrigin(async (req, res) => {
        const path = (req.url ?? "").split("?")[0] as keyof typeof parts;
        res.writeHead(200, { "content-type": path === "/events" ? "text/event-stream" : "text/html" });
        res.write(parts[path][0]);
        await new Promise<void>((resolve) => gates.set(path, resolve));
        res.end(parts[path][1]);
      });
      await using tunnel = await tunnelTo(origin.url);
      try {
        for (const path of ["/page", "/events"] as const) {
          const [head, tail] = parts[path];
          const stream = await openStream(`${tunnel.url}${path}`, acceptEncoding);
          if (path === "/events") expect(stream.headers["content-encoding"]).toBeUndefined();
          // The origin is parked on its gate: only a body that streams can deliver this.
          await stream.received(head.byteLength);
          expect(Buffer.concat(stream.chunks).subarray(0, head.byteLength).equals(head)).toBe(true);
          gates.get(path)?.();
          await stream.ended();
          expect(sha256(Buffer.concat(stream.chunks))).toBe(sha256(Buffer.concat([head, tail])));
        }
      } finally {
        // A failed run must not leave the origin's requests parked (closing the tunnel waits for them).
        for (const open of gates.values()) open();
      }
    },
  );

  it("leaves ranges, HEAD and small or incompressible bodies as the origin sent them", async () => {
    const body = source(64 * 1024);
    await using origin = await startOrigin((req, res) => {
      if (req.headers.range) {
        res.writeHead(206, { "content-type": "text/plain", "content-range": `bytes 100-199/${body.byteLength}`, "content-length": "100" });
        return void res.end(body.subarray(100, 200));
      }
      const type = req.url === "/image" ? "image/png" : "text/plain";
      const payload = req.url === "/small" ? body.subarray(0, 500) : body;
      res
        .writeHead(200, { "content-type": type, "content-length": String(payload.byteLength) })
        .end(req.method === "HEAD" ? undefined : payload);
    });
    await using tunnel = await tunnelTo(origin.url);
    const range = await raw(`${tunnel.url}/file.txt`, { range: "bytes=100-199", "accept-encoding": "identity" });
    expect(range.status).toBe(206);
    expect(range.headers["content-range"]).toBe(`bytes 100-199/${body.byteLength}`);
    expect(range.body.equals(body.subarray(100, 200))).toBe(true);
    for (const path of ["/image", "/small"]) {
      const answer = await raw(`${tunnel.url}${path}`, { "accept-encoding": "identity" });
      expect(answer.body.equals(path === "/small" ? body.subarray(0, 500) : body)).toBe(true);
      expect(answer.headers["content-length"]).toBe(String(answer.body.byteLength));
    }
  });
});

describe("the client's hop compression wrapper", () => {
  const offered = (init: RequestInit = {}) =>
    new Request("http://app.test/x", { ...init, headers: { [HOP_ACCEPT_HEADER]: "gzip", ...init.headers } });
  const text = source(4096);

  it("compresses only what the shard offered, for compressible bodies worth it, and never a stream of events", async () => {
    const cases: [string, Request, Response, boolean][] = [
      ["offered, JavaScript", offered(), new Response(text, { headers: { "content-type": "text/javascript" } }), true],
      [
        "an older server (no offer)",
        new Request("http://app.test/x"),
        new Response(text, { headers: { "content-type": "text/javascript" } }),
        false,
      ],
      ["server-sent events", offered(), new Response(text, { headers: { "content-type": "text/event-stream" } }), false],
      ["a PNG", offered(), new Response(text, { headers: { "content-type": "image/png" } }), false],
      ["already encoded", offered(), new Response(text, { headers: { "content-type": "text/plain", "content-encoding": "br" } }), false],
      [
        "no-transform",
        offered(),
        new Response(text, { headers: { "content-type": "text/plain", "cache-control": "no-transform" } }),
        false,
      ],
      [
        "a range",
        offered(),
        new Response(text, { status: 206, headers: { "content-type": "text/plain", "content-range": "bytes 0-4095/9000" } }),
        false,
      ],
      ["under 1 KiB", offered(), new Response("tiny", { headers: { "content-type": "text/plain" } }), false],
      [
        "HEAD",
        offered({ method: "HEAD" }),
        new Response(null, { headers: { "content-type": "text/plain", "content-length": "4096" } }),
        false,
      ],
    ];
    for (const [what, request, response, compressed] of cases) {
      let sawHopHeader = true;
      const fetcher = withHopCompression((seen) => {
        sawHopHeader = seen.headers.has(HOP_ACCEPT_HEADER);
        return response;
      });
      const answer = await fetcher(request);
      expect(sawHopHeader, what).toBe(false);
      expect(answer.headers.get(HOP_ENCODING_HEADER), what).toBe(compressed ? "gzip" : null);
      if (compressed) expect(sha256(gunzipSync(Buffer.from(await answer.arrayBuffer()))), what).toBe(sha256(text));
    }
  });

  it("drops a hop header an origin sends, so the shard never decodes a body that was not compressed", async () => {
    const fetcher = withHopCompression(
      () => new Response("plain", { headers: { [HOP_ENCODING_HEADER]: "gzip", "content-type": "image/png" } }),
    );
    const answer = await fetcher(offered());
    expect(answer.headers.get(HOP_ENCODING_HEADER)).toBeNull();
    expect(await answer.text()).toBe("plain");
  });
});

/** A visitor's request whose body is read as it arrives (gunzipped for a gzip visitor); every wait ends within 10 s. */
async function openStream(url: string, acceptEncoding: string) {
  const chunks: Buffer[] = [];
  let size = 0;
  const waiters: [number, () => void][] = [];
  let ended: () => void = () => {};
  const done = new Promise<void>((resolve) => (ended = resolve));
  const headers = await withDeadline(
    "the response headers",
    new Promise<IncomingHttpHeaders>((resolve, reject) => {
      request(url, { headers: { "accept-encoding": acceptEncoding }, lookup: localhostLookup as never }, (res) => {
        const body = res.headers["content-encoding"] === "gzip" ? res.pipe(createGunzip()) : res;
        body.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.byteLength;
          for (const [want, wake] of waiters) if (size >= want) wake();
        });
        body.on("end", ended).on("error", reject);
        resolve(res.headers);
      })
        .on("error", reject)
        .end();
    }),
  );
  return {
    headers,
    chunks,
    ended: () => withDeadline("the end of the body", done),
    received: (want: number) =>
      withDeadline(
        `the first ${want} bytes while the origin waited`,
        new Promise<void>((resolve) => (size >= want ? resolve() : waiters.push([want, resolve]))),
      ),
  };
}

function withDeadline<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not arrive within 10 s`)), 10_000);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
