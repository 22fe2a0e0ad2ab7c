// The handshake edges of bridged WebSockets, through the real Worker in workerd: the origin's 101
// headers reach the visitor, and an upgrade nobody waits for any more leaves no origin socket.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { localhostLookup } from "../src/_localhost.ts";
import { createInjectingConnection } from "../src/dev-server/inject.ts";
import { createCaptunTunnel, createOriginFetcher, createOriginWebSocketConnector } from "../src/index.ts";
import { ERROR_HEADER } from "../src/protocol.ts";
import { startTestServer, type TestServer, uniqueName, waitFor } from "./_harness.ts";
import { closed, openVisitor, startWsOrigin, UpgradeRefused } from "./_websocket-harness.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

interface HeldUpgrade {
  req: IncomingMessage;
  socket: Socket;
  head: Buffer;
  closed: boolean;
}

/** An origin that holds every upgrade request until the test answers it with `accept()`. */
async function startHoldingOrigin() {
  const server = createServer((_req, res) => res.end("plain http"));
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const held: HeldUpgrade[] = [];
  server.on("upgrade", (req, socket: Socket, head) => {
    const upgrade: HeldUpgrade = { req, socket, head, closed: false };
    const markClosed = () => {
      upgrade.closed = true;
    };
    // node:http keeps upgraded sockets half-open: the client hanging up shows as `end`, and only
    // while the socket is read.
    socket.once("end", markClosed);
    socket.once("close", markClosed);
    socket.resume();
    held.push(upgrade);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    accept(upgrade: HeldUpgrade): Promise<WebSocket> {
      return new Promise((resolve) => wss.handleUpgrade(upgrade.req, upgrade.socket, upgrade.head, resolve));
    },
    async [Symbol.asyncDispose]() {
      for (const socket of wss.clients) socket.terminate();
      for (const upgrade of held) upgrade.socket.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function tunnelWith(target: TestServer, options: Omit<Parameters<typeof createCaptunTunnel>[0], "url" | "secret">) {
  return createCaptunTunnel({ url: target.tunnelUrl(uniqueName("wsh")), secret: target.secret, ...options });
}

describe("the origin's 101 answer", () => {
  it("passes its end-to-end headers (each Set-Cookie, x-*) to the visitor, but no hop-by-hop ones", async () => {
    await using origin = await startWsOrigin({
      selectProtocol: () => "v2",
      handshakeHeaders: [
        "Set-Cookie: session=abc; Path=/; HttpOnly",
        "Set-Cookie: theme=dark; Path=/",
        "X-Origin-Version: 7",
        "Keep-Alive: timeout=5",
        "X-Per-Connection: secret",
        "Connection: X-Per-Connection",
      ],
    });
    const fetcher = createOriginFetcher(origin.url);
    await using _fetcher = { [Symbol.asyncDispose]: () => fetcher.close() };
    await using tunnel = await tunnelWith(server, { fetch: fetcher });
    await using visitor = await openVisitor(tunnel.url, { protocols: ["v1", "v2"] });
    const seen = visitor.handshakeHeaders;
    expect(seen["set-cookie"]).toEqual(["session=abc; Path=/; HttpOnly", "theme=dark; Path=/"]);
    expect(seen["x-origin-version"]).toBe("7");
    expect(seen["sec-websocket-protocol"]).toBe("v2");
    expect(seen["keep-alive"]).toBeUndefined();
    expect(seen["x-per-connection"]).toBeUndefined();
    expect(seen["sec-websocket-extensions"]).toBeUndefined();
    visitor.send("still a socket");
    expect((await visitor.next()).data).toBe("still a socket");
  });
});

describe("an upgrade nobody waits for any more", () => {
  it("after a 504, the client abandons the origin handshake it still runs", async () => {
    await using slow = await startTestServer({ vars: { HEADERS_TIMEOUT_MS: "300" } });
    await using origin = await startHoldingOrigin();
    const fetcher = createOriginFetcher(origin.url);
    await using _fetcher = { [Symbol.asyncDispose]: () => fetcher.close() };
    await using tunnel = await tunnelWith(slow, { fetch: fetcher });
    const refused = (await openVisitor(tunnel.url).catch((e: unknown) => e)) as UpgradeRefused;
    expect(refused).toBeInstanceOf(UpgradeRefused);
    expect([refused.status, refused.headers[ERROR_HEADER]]).toEqual([504, "origin-timeout"]);
    expect(origin.held).toHaveLength(1);
    // The client's own handshake timeout is 30 s: closing within 5 s is the abort reaching it.
    await waitFor(() => origin.held[0]!.closed, 5_000, "the origin's pending upgrade connection to close");
  });

  it("after a 504, a socket the connector opens anyway is closed, not bridged", async () => {
    await using slow = await startTestServer({ vars: { HEADERS_TIMEOUT_MS: "300" } });
    await using origin = await startWsOrigin();
    const toOrigin = createOriginWebSocketConnector(origin.url);
    const visitorGotAnswer = Promise.withResolvers<void>();
    const signalSeen = Promise.withResolvers<boolean>();
    await using tunnel = await tunnelWith(slow, {
      fetch: () => new Response("http"),
      connectWebSocket: async (request) => {
        await visitorGotAnswer.promise;
        signalSeen.resolve(request.signal.aborted);
        // A connector that ignores the signal: the handshake runs on without it.
        return toOrigin(new Request(request.url, { headers: request.headers }));
      },
    });
    const refused = (await openVisitor(tunnel.url).catch((e: unknown) => e)) as UpgradeRefused;
    expect(refused.status).toBe(504);
    visitorGotAnswer.resolve();
    expect(await signalSeen.promise).toBe(true);
    await waitFor(() => origin.sockets.length === 1, 5_000, "the late origin socket");
    const socket = origin.sockets[0]!;
    if (socket.readyState !== WebSocket.CLOSED) expect((await closed(socket, 5_000)).code).toBe(1001);
  });

  it("a visitor that disconnects while the origin is still deciding leaves no origin socket behind", async () => {
    await using origin = await startHoldingOrigin();
    const fetcher = createOriginFetcher(origin.url);
    await using _fetcher = { [Symbol.asyncDispose]: () => fetcher.close() };
    await using tunnel = await tunnelWith(server, { fetch: fetcher });
    const visitor = new WebSocket(tunnel.url.replace(/^http/, "ws"), { lookup: localhostLookup as never });
    const visitorGone = new Promise((resolve) => visitor.once("error", resolve));
    await waitFor(() => origin.held.length === 1, 5_000, "the upgrade to reach the origin");
    // Like a closed tab: the visitor's connection drops while its upgrade is pending.
    visitor.terminate();
    await visitorGone;
    const socket = await origin.accept(origin.held[0]!);
    const close = socket.readyState === WebSocket.CLOSED ? undefined : await closed(socket, 5_000);
    expect(socket.readyState).toBe(WebSocket.CLOSED);
    if (close) expect(close.code).not.toBe(1000);
  });
});

describe("HMR-style upgrades injected into a dev server", () => {
  it("give the injected socket the visitor's address, as plain requests get", async () => {
    // Never listens: every connection is injected, as into a dev server.
    const devServer = createServer((_req, res) => res.end("dev"));
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    const seen: { address: string | undefined; forwardedFor: string | undefined }[] = [];
    devServer.on("upgrade", (req, socket, head) => {
      seen.push({ address: req.socket.remoteAddress, forwardedFor: req.headers["x-forwarded-for"] as string | undefined });
      wss.handleUpgrade(req, socket, head, (ws) => ws.on("message", (data) => ws.send(String(data))));
    });
    await using tunnel = await tunnelWith(server, {
      fetch: () => new Response("http"),
      connectWebSocket: createOriginWebSocketConnector("http://dev-server", {
        createConnection: createInjectingConnection(() => devServer),
      }),
    });
    // The address comes from the visitor's socket (the local server's front, Cloudflare's edge), never from a header it sent.
    await using visitor = await openVisitor(`${tunnel.url}/@vite/client`, { headers: { "cf-connecting-ip": "203.0.113.7" } });
    visitor.send("hmr");
    expect((await visitor.next()).data).toBe("hmr");
    expect(seen).toHaveLength(1);
    expect(seen[0]!.address).toBe(seen[0]!.forwardedFor);
    if (!server.deployed) expect(seen[0]!.address).toBe("127.0.0.1");
    for (const socket of wss.clients) socket.terminate();
  });
});
