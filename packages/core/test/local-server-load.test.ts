// A dev page's burst through the local server: every response arrives whole. A browser loading an
// unbundled page over HTTP/2 sends all its module requests at once (330 in the page-load benchmark),
// and none of them may be refused or cut off on the way (docs/limits.md).
import { createHash } from "node:crypto";
import { once } from "node:events";
import { Agent, request } from "node:http";
import type { Socket } from "node:net";
import { Agent as UndiciAgent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localhostLookup } from "../src/_localhost.ts";
import { readBody, startOrigin, startTestServer, type TestOrigin, type TestServer, tunnelToOrigin, uniqueName, visit } from "./_harness.ts";

const BURST = 400;
const BURSTS = 3;

/** A body of 2–18 KiB that only this path gets, so a mixed-up or cut answer shows. */
function bodyFor(path: string): Buffer {
  const seed = createHash("sha256").update(path).digest();
  return Buffer.alloc(2048 + (seed.readUInt16BE(0) % 16384), seed);
}

/**
 * The burst's visitor: one connect attempt per `*.localhost` request, to 127.0.0.1 where the front
 * listens. Node's happy eyeballs give each address 250 ms; 400 connects at once from this busy
 * process (front, client and origin run here too) missed that with another test file running,
 * and ended as connect timeouts though the front was listening: a client artifact, not the server's.
 */
const burstVisitor = new UndiciAgent({ connect: { lookup: localhostLookup as never, autoSelectFamily: false } });

const sha = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

describe("local server under a dev page's burst", () => {
  let server: TestServer;
  let origin: TestOrigin;
  let tunnel: Awaited<ReturnType<typeof tunnelToOrigin>>;
  let url: string;

  beforeAll(async () => {
    server = await startTestServer();
    origin = await startOrigin(async (req, res) => {
      const sent = await readBody(req);
      // Answers arrive in a different order than their requests, as a dev server's transforms do.
      await new Promise((resolve) => setImmediate(resolve));
      res.setHeader("content-type", "text/javascript");
      res.end(req.method === "POST" ? sha(sent) : bodyFor(req.url ?? ""));
    });
    const name = uniqueName("load");
    tunnel = await tunnelToOrigin(server, origin.url, name);
    url = server.tunnelUrl(name);
  });

  afterAll(async () => {
    await tunnel?.[Symbol.asyncDispose]();
    await origin?.[Symbol.asyncDispose]();
    await server?.[Symbol.asyncDispose]();
    await burstVisitor.close();
  });

  it(`answers ${BURSTS} bursts of ${BURST} simultaneous GETs and POSTs, each complete`, async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < BURSTS; round++) {
      const gets = Array.from({ length: BURST }, async (_, i) => {
        const path = `/src/m${round}-${i}.tsx`;
        try {
          const response = await visit(`${url}${path}`, { dispatcher: burstVisitor });
          const body = new Uint8Array(await response.arrayBuffer());
          const whole = response.status === 200 && sha(body) === sha(bodyFor(path));
          return whole ? "ok" : `${response.status} ${response.headers.get("x-captun-error") ?? ""} ${body.byteLength} bytes`;
        } catch (error) {
          return `failed: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`;
        }
      });
      const posts = Array.from({ length: 4 }, async (_, i) => {
        const sent = Buffer.alloc(64 * 1024 * (i + 1), round * 16 + i);
        try {
          const response = await visit(`${url}/api/save-${round}-${i}`, { method: "POST", body: sent, dispatcher: burstVisitor });
          const text = await response.text();
          return response.status === 200 && text === sha(sent)
            ? "ok"
            : `POST ${response.status} ${response.headers.get("x-captun-error") ?? ""}`;
        } catch (error) {
          return `POST failed: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`;
        }
      });
      outcomes.push(...(await Promise.all([...gets, ...posts])));
    }
    const failures = outcomes.filter((outcome) => outcome !== "ok");
    const tally = Object.fromEntries([...new Set(failures)].map((f) => [f, failures.filter((x) => x === f).length]));
    expect(tally).toEqual({});
    expect(outcomes).toHaveLength(BURSTS * (BURST + 4));
  }, 60_000);

  it("keeps a visitor's idle connection open past Node's default 5 s, as it announces", async () => {
    // Node's http.Agent without a `timeout` keeps idle connections until the server closes them; one
    // closed as the next request goes out resets that request (the page-load benchmark's resends).
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const { port } = new URL(server.url);
    const get = (path: string) =>
      new Promise<{ status: number; keepAlive: string; reused: boolean; socket: Socket; body: Buffer }>((resolve, reject) => {
        const req = request(
          { host: "127.0.0.1", port, path, agent, headers: { host: new URL(url).host, "accept-encoding": "identity" } },
          async (res) => {
            const body = await readBody(res);
            resolve({
              status: res.statusCode ?? 0,
              keepAlive: String(res.headers["keep-alive"]),
              reused: req.reusedSocket,
              socket: req.socket as Socket,
              body,
            });
          },
        );
        req.on("error", reject).end();
      });
    try {
      const first = await get("/first.js");
      expect([first.status, first.keepAlive, sha(first.body)]).toEqual([200, "timeout=300", sha(bodyFor("/first.js"))]);
      // Idle past Node's default (5 s + 1 s of grace): the front must not close it meanwhile.
      const closed = once(first.socket, "close").then(() => "closed");
      const idle = new Promise((resolve) => setTimeout(resolve, 7_000, "open"));
      expect(await Promise.race([closed, idle])).toBe("open");
      const second = await get("/second.js");
      expect([second.status, second.reused, sha(second.body)]).toEqual([200, true, sha(bodyFor("/second.js"))]);
    } finally {
      agent.destroy();
    }
  }, 20_000);
});
