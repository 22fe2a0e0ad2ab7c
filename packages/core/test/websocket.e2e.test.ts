import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaptunTunnel, createOriginFetcher } from "../src/index.ts";
import { ERROR_HEADER, WebSocketCloseCode } from "../src/protocol.ts";
import { startTestServer, type TestServer, tunnelToOrigin, uniqueName, visit } from "./_harness.ts";
import { closed, openVisitor, startWsOrigin, UpgradeRefused } from "./_websocket-harness.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

describe("WebSockets through the tunnel", () => {
  it("echoes text and binary frames in order, including 1 MiB frames", async () => {
    await using origin = await startWsOrigin();
    await using tunnel = await tunnelToOrigin(server, origin.url);
    await using visitor = await openVisitor(`${tunnel.url}/echo?x=1`);
    const received = visitor.received;
    const big = randomBytes(1024 * 1024);
    const sent: (string | Buffer)[] = ["hello", Buffer.from([0, 1, 2, 255]), "", big, "ünïcødé ✓", randomBytes(70_000), big.subarray(7)];
    for (const frame of sent) visitor.send(frame);
    const deadline = Date.now() + 15_000;
    while (received.length < sent.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(received.map((r) => r.binary)).toEqual(sent.map((f) => typeof f !== "string"));
    for (const [i, frame] of sent.entries()) expect(Buffer.from(received[i]!.data).equals(Buffer.from(frame))).toBe(true);
    expect(origin.upgrades[0]?.url).toBe("/echo?x=1");
  });

  it("works under folder routing, where the tunnel name prefix is stripped", async () => {
    await using folderServer = await startTestServer({ routing: "folder" });
    await using origin = await startWsOrigin();
    const fetcher = createOriginFetcher(origin.url);
    const name = uniqueName("ws");
    await using tunnel = await createCaptunTunnel({ url: folderServer.tunnelUrl(name), secret: folderServer.secret, fetch: fetcher });
    expect(new URL(tunnel.url).pathname).toBe(`/${name}`);
    await using visitor = await openVisitor(`${tunnel.url}/deep/path?q=1`);
    visitor.send(Buffer.from("folder"));
    expect(String((await visitor.next()).data)).toBe("folder");
    expect(origin.upgrades[0]?.url).toBe("/deep/path?q=1");
    await fetcher.close();
  });

  it("negotiates the subprotocol and passes cookies and Origin through", async () => {
    await using origin = await startWsOrigin({ selectProtocol: (offered) => (offered.has("v2.chat") ? "v2.chat" : false) });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    await using visitor = await openVisitor(tunnel.url, {
      protocols: ["v1.chat", "v2.chat"],
      headers: { cookie: "session=abc", origin: "https://app.example" },
    });
    expect(visitor.protocol).toBe("v2.chat");
    expect(origin.sockets[0]?.protocol).toBe("v2.chat");
    const seen = origin.upgrades[0]!.headers;
    expect(seen.cookie).toBe("session=abc");
    expect(seen.origin).toBe("https://app.example");
    expect(seen["sec-websocket-protocol"]).toMatch(/^v1\.chat, ?v2\.chat$/);
    expect(seen.host).toBe(new URL(tunnel.url).host);
    expect(seen["x-forwarded-host"]).toBe(new URL(tunnel.url).host);
  });

  it("carries close codes and reasons from the visitor to the origin", async () => {
    const originClosed = Promise.withResolvers<{ code: number; reason: string }>();
    await using origin = await startWsOrigin({
      onSocket: (socket) => socket.on("close", (code, reason) => originClosed.resolve({ code, reason: reason.toString() })),
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    await using visitor = await openVisitor(tunnel.url);
    const visitorClosed = closed(visitor);
    visitor.close(4321, "visitor says bye");
    expect(await originClosed.promise).toEqual({ code: 4321, reason: "visitor says bye" });
    expect((await visitorClosed).code).toBe(4321);
  });

  it("carries close codes and reasons from the origin to the visitor, after its last frames", async () => {
    await using origin = await startWsOrigin({
      onSocket: (socket) => {
        socket.send("one");
        socket.send(Buffer.from("two"));
        socket.close(4000, "origin is done");
      },
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    await using visitor = await openVisitor(tunnel.url);
    const received = visitor.received;
    const close = await closed(visitor);
    expect(close).toEqual({ code: 4000, reason: "origin is done" });
    expect(received.map((r) => r.data.toString())).toEqual(["one", "two"]);
  });

  it("gives the visitor the origin's HTTP answer when it refuses the upgrade", async () => {
    await using origin = await startWsOrigin();
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const error = await openVisitor(`${tunnel.url}/refuse`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpgradeRefused);
    const refused = error as UpgradeRefused;
    expect(refused.status).toBe(403);
    expect(refused.body).toBe("not for you");
    expect(refused.headers["x-origin"]).toBe("yes");
  });

  it("answers 501 when the client's Fetcher has no WebSocket handler", async () => {
    await using tunnel = await createCaptunTunnel({
      url: server.tunnelUrl(uniqueName("ws")),
      secret: server.secret,
      fetch: () => new Response("http only"),
    });
    const error = (await openVisitor(tunnel.url).catch((e: unknown) => e)) as UpgradeRefused;
    expect(error.status).toBe(501);
    expect(error.headers[ERROR_HEADER]).toBe("websocket-unsupported");
  });

  it("bridges a library user's own connector", async () => {
    await using origin = await startWsOrigin();
    const fetcher = createOriginFetcher(origin.url);
    const seen: string[] = [];
    await using tunnel = await createCaptunTunnel({
      url: server.tunnelUrl(uniqueName("ws")),
      secret: server.secret,
      fetch: fetcher,
      connectWebSocket: (request) => {
        seen.push(new URL(request.url).pathname);
        if (new URL(request.url).pathname === "/nope") return Promise.resolve(new Response("go away", { status: 409 }));
        return fetcher.connectWebSocket(request);
      },
    });
    const refused = (await openVisitor(`${tunnel.url}/nope`).catch((e: unknown) => e)) as UpgradeRefused;
    expect([refused.status, refused.body]).toEqual([409, "go away"]);
    await using visitor = await openVisitor(`${tunnel.url}/yes`);
    visitor.send("ping");
    expect((await visitor.next()).data).toBe("ping");
    expect(seen).toEqual(["/nope", "/yes"]);
    await fetcher.close();
  });

  it("keeps 100 sockets open on one tunnel while HTTP requests run on it", async () => {
    await using origin = await startWsOrigin();
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const visitors = await Promise.all(Array.from({ length: 100 }, (_, i) => openVisitor(`${tunnel.url}/s${i}`)));
    try {
      const echoes = visitors.map(async (visitor, i) => {
        const replies: string[] = [];
        for (let round = 0; round < 3; round++) {
          visitor.send(`socket ${i} round ${round}`);
          replies.push(String((await visitor.next()).data));
        }
        return replies;
      });
      const pages = Array.from({ length: 20 }, async () => (await visit(`${tunnel.url}/page`)).text());
      const [replies, bodies] = await Promise.all([Promise.all(echoes), Promise.all(pages)]);
      expect(replies).toEqual(visitors.map((_, i) => [0, 1, 2].map((round) => `socket ${i} round ${round}`)));
      expect(bodies.every((body) => body === "plain http")).toBe(true);
    } finally {
      for (const visitor of visitors) visitor.terminate();
    }
  });

  it("closes visitor sockets with 1014 when the client goes away, and then answers 503", async () => {
    await using origin = await startWsOrigin();
    const tunnel = await tunnelToOrigin(server, origin.url);
    const visitors = await Promise.all(Array.from({ length: 3 }, () => openVisitor(tunnel.url)));
    const closes = visitors.map((visitor) => closed(visitor));
    await tunnel[Symbol.asyncDispose]();
    for (const close of await Promise.all(closes)) expect(close.code).toBe(WebSocketCloseCode.tunnelGone);
    const error = (await openVisitor(tunnel.url).catch((e: unknown) => e)) as UpgradeRefused;
    expect(error.status).toBe(503);
  });
});
