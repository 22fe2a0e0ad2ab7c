import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { createInjectingAgent, createInjectingConnection } from "../src/dev-server/inject.ts";
import { createOriginFetcher } from "../src/origin.ts";
import { createOriginWebSocketConnector } from "../src/websocket-origin-connector.ts";

describe("createInjectingAgent: injected connections carry the visitor's address", () => {
  it("gives each visitor's connection the X-Forwarded-For address as remoteAddress, loopback otherwise", async () => {
    // Never listens: every connection is injected, as into a dev server.
    const server = createServer((req, res) => {
      res.end(JSON.stringify({ address: req.socket.remoteAddress, family: req.socket.remoteFamily, host: req.headers.host }));
    });
    const fetcher = createOriginFetcher("http://dev-server", { dispatcher: createInjectingAgent(() => server) });
    await using _closer = { [Symbol.asyncDispose]: () => fetcher.close() };
    const ask = async (forwardedFor?: string) => {
      const headers = new Headers({ host: "app.example.test" });
      if (forwardedFor !== undefined) headers.set("x-forwarded-for", forwardedFor);
      const response = await fetcher(new Request("http://app.example.test/", { headers }));
      return (await response.json()) as { address: string; family: string; host: string };
    };

    // Alternate visitors so a kept-alive connection of one would show up in the other's answer.
    for (let round = 0; round < 2; round++) {
      expect(await ask("203.0.113.7")).toEqual({ address: "203.0.113.7", family: "IPv4", host: "app.example.test" });
      expect(await ask("2001:db8::5")).toEqual({ address: "2001:db8::5", family: "IPv6", host: "app.example.test" });
      expect((await ask("198.51.100.2, 10.0.0.1")).address).toBe("198.51.100.2");
    }
    expect((await ask()).address).toBe("127.0.0.1");
    expect((await ask("not-an-ip")).address).toBe("127.0.0.1");
  });
});

describe("createInjectingConnection: injected upgrades (HMR) carry the visitor's address too", () => {
  it("gives each handshake's connection the X-Forwarded-For address, loopback otherwise", async () => {
    const server = createServer((_req, res) => res.end());
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    const addresses: (string | undefined)[] = [];
    server.on("upgrade", (req, socket, head) => {
      addresses.push(req.socket.remoteAddress);
      wss.handleUpgrade(req, socket, head, () => {});
    });
    const connect = createOriginWebSocketConnector("http://dev-server", { createConnection: createInjectingConnection(() => server) });
    for (const forwardedFor of ["203.0.113.7", "2001:db8::5", undefined, "not-an-ip"]) {
      const headers = new Headers({ upgrade: "websocket" });
      if (forwardedFor) headers.set("x-forwarded-for", forwardedFor);
      const outcome = await connect(new Request("http://app.example.test/@vite/client", { headers }));
      expect(outcome).toHaveProperty("webSocket");
      if ("webSocket" in outcome) outcome.webSocket.close();
    }
    expect(addresses).toEqual(["203.0.113.7", "2001:db8::5", "127.0.0.1", "127.0.0.1"]);
    for (const socket of wss.clients) socket.terminate();
  });
});
