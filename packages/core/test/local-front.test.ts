// The local server's front keeps connections to workerd alive for body-less requests. workerd
// closes idle ones on its own schedule, so a request can go out on a connection that is being
// closed: the front must send it again on a new connection, and must never send a request with a
// body twice.
import { createServer, request, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startLocalFront } from "../src/_local-front.ts";
import { DEFAULT_MAX_BODY_BYTES } from "../src/protocol.ts";

const servers: { close(): unknown }[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/**
 * An upstream that answers the first request on each connection with keep-alive, and resets the
 * connection as soon as a second request arrives on it: a server closing an idle connection just
 * as the client reuses it.
 */
async function resettingUpstream({
  seeThenReset = false,
} = {}): Promise<{ port: number; seen: string[]; held: number; heldClosed: number }> {
  const state = { port: 0, seen: [] as string[], held: 0, heldClosed: 0 };
  const { seen } = state;
  const served = new WeakSet<Socket>();
  const server: Server = createServer((req, res) => {
    const socket = req.socket;
    if (req.url === "/hold") {
      // Never answered: counts arrivals and hang-ups.
      state.held++;
      socket.once("close", () => state.heldClosed++);
      return;
    }
    if (served.has(socket)) {
      // The worst case for a resend: the request got through before the connection died.
      if (seeThenReset) seen.push(`${req.method} ${req.url}`);
      socket.resetAndDestroy();
      return;
    }
    served.add(socket);
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      seen.push(`${req.method} ${req.url} ${body}`.trim());
      res.end(`answer to ${req.method} ${req.url}`);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push({ close: () => new Promise((resolve) => server.close(() => resolve(undefined))) });
  server.on("connection", (socket) => servers.push({ close: () => socket.destroy() }));
  state.port = (server.address() as { port: number }).port;
  return state;
}

function send(
  port: number,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, agent: false, headers }, (res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Sends `head` as written on a new connection and resolves with everything the front answers. */
function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(head));
    let text = "";
    socket.on("data", (chunk) => (text += chunk));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

describe("the local server's front", () => {
  it("sends a body-less request again on a new connection when its kept-alive one was reset", async () => {
    const upstream = await resettingUpstream();
    const front = await startLocalFront("127.0.0.1", 0, upstream.port, DEFAULT_MAX_BODY_BYTES);
    servers.push(front);
    expect(await send(front.port, "GET", "/one")).toEqual({ status: 200, text: "answer to GET /one" });
    // Goes out on the kept-alive connection, which the upstream resets.
    expect(await send(front.port, "GET", "/two")).toEqual({ status: 200, text: "answer to GET /two" });
    expect(upstream.seen).toEqual(["GET /one", "GET /two"]);
  });

  it("never sends a request with a body twice: it gets its own connection", async () => {
    const upstream = await resettingUpstream();
    const front = await startLocalFront("127.0.0.1", 0, upstream.port, DEFAULT_MAX_BODY_BYTES);
    servers.push(front);
    expect(await send(front.port, "GET", "/first")).toMatchObject({ status: 200 });
    for (const n of [1, 2, 3]) {
      expect(await send(front.port, "POST", `/pay/${n}`, `payment ${n}`)).toEqual({ status: 200, text: `answer to POST /pay/${n}` });
    }
    expect(upstream.seen).toEqual(["GET /first", "POST /pay/1 payment 1", "POST /pay/2 payment 2", "POST /pay/3 payment 3"]);
  });

  it("never sends a body-less POST twice, and never resends a request whose visitor left", async () => {
    const upstream = await resettingUpstream({ seeThenReset: true });
    const front = await startLocalFront("127.0.0.1", 0, upstream.port, DEFAULT_MAX_BODY_BYTES);
    servers.push(front);
    expect(await send(front.port, "GET", "/first")).toMatchObject({ status: 200 });
    // No Content-Length, no body (as `curl -X POST` sends it): its own connection, answered, seen once.
    expect(await rawRequest(front.port, "POST /charge HTTP/1.1\r\nHost: front.test\r\nConnection: close\r\n\r\n")).toMatch(
      /^HTTP\/1\.1 200 [\s\S]*answer to POST \/charge$/,
    );
    // A visitor that leaves a request the upstream has not answered: the front hangs up on it.
    const leaving = request({ host: "127.0.0.1", port: front.port, path: "/hold", agent: false });
    leaving.on("error", () => {});
    leaving.end();
    await vi.waitFor(() => expect(upstream.held).toBe(1), { timeout: 10_000 });
    leaving.destroy();
    await vi.waitFor(() => expect(upstream.heldClosed).toBe(1), { timeout: 10_000 });
    expect(await send(front.port, "GET", "/after")).toMatchObject({ status: 200 });
    expect(upstream.held).toBe(1);
    expect(upstream.seen).toEqual(["GET /first", "POST /charge", "GET /after"]);
  });

  it("attacker: naming the framing headers in Connection cannot smuggle a second request past the front", async () => {
    const upstream = await resettingUpstream();
    const front = await startLocalFront("127.0.0.1", 0, upstream.port, DEFAULT_MAX_BODY_BYTES);
    servers.push(front);
    const smuggled = "GET /admin HTTP/1.1\r\nHost: x\r\nCF-Connecting-IP: 10.0.0.1\r\n\r\n";
    const answer = await send(front.port, "POST", "/form", smuggled, {
      connection: "keep-alive, content-length, host, transfer-encoding, x-drop-me",
      "content-length": String(Buffer.byteLength(smuggled)),
      "x-drop-me": "1",
    });
    expect(answer).toEqual({ status: 200, text: "answer to POST /form" });
    // One request, with the would-be second one as its body.
    expect(upstream.seen).toEqual([`POST /form ${smuggled}`.trim()]);
  });
});
