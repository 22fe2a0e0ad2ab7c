// Visitors cannot forge who they are: whatever identity headers they send, the origin sees only
// what captun sets from the visitor's socket and the public URL.
import type { IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { localhostLookup } from "../src/_localhost.ts";
import { rawRequest, visitFrom } from "./_attacker.ts";
import { startOrigin, startTestServer, type TestServer, tunnelToOrigin, visit } from "./_harness.ts";

/** Every header an attacker might hope an origin or framework trusts, with a recognisable value. */
const FORGED: Record<string, string> = {
  "cf-connecting-ip": "203.0.113.1",
  "cf-connecting-ipv6": "2001:db8::1",
  "cf-ipcountry": "XX",
  "cf-visitor": '{"scheme":"https"}',
  "cf-ray": "forged-ray",
  "cf-worker": "evil.example",
  "true-client-ip": "203.0.113.2",
  "x-client-ip": "203.0.113.3",
  "x-cluster-client-ip": "203.0.113.4",
  "fastly-client-ip": "203.0.113.5",
  "x-original-forwarded-for": "203.0.113.6",
  "client-ip": "203.0.113.7",
  "x-real-ip": "203.0.113.8",
  "x-forwarded-for": "203.0.113.9",
  "x-forwarded-host": "evil.example",
  "x-forwarded-proto": "gopher",
  "x-forwarded-port": "6666",
  "x-forwarded-server": "evil.example",
  "x-forwarded-prefix": "/evil",
  forwarded: "for=203.0.113.10;host=evil.example;proto=gopher",
  "x-host": "evil.example",
  "x-original-host": "evil.example",
  "x-original-url": "/evil",
  "x-rewrite-url": "/evil",
  "x-originating-ip": "203.0.113.11",
  "x-remote-ip": "203.0.113.12",
  "x-remote-addr": "203.0.113.13",
};
const FORGED_VALUES = /203\.0\.113\.|2001:db8|evil|gopher|forged|6666|"XX"|^XX$/;

function expectOnlyCaptunIdentity(seen: IncomingHttpHeaders, publicUrl: string, visitor: string) {
  const { host, protocol } = new URL(publicUrl);
  for (const [name, value] of Object.entries(seen)) expect(`${name}: ${value}`).not.toMatch(FORGED_VALUES);
  expect(seen["x-forwarded-for"]).toBe(visitor);
  expect(seen["x-real-ip"]).toBe(visitor);
  expect(seen["x-forwarded-host"]).toBe(host);
  expect(seen["x-forwarded-proto"]).toBe(protocol.slice(0, -1));
  expect(seen.forwarded).toBe(`for=${visitor};host="${host}";proto=${protocol.slice(0, -1)}`);
  for (const name of Object.keys(seen)) expect(name.startsWith("cf-") ? name : "").toBe("");
  expect(seen["x-visitor"]).toBe("kept");
}

describe.each(["subdomain", "folder"] as const)("identity headers under %s routing", (routing) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ routing });
  });
  afterAll(() => server[Symbol.asyncDispose]());

  it("reach the origin only as captun sets them, with the address of the visitor's socket", async () => {
    let seen: IncomingHttpHeaders = {};
    await using origin = await startOrigin((req, res) => {
      seen = req.headers;
      res.end("ok");
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    // 127.0.0.7 is a different visitor from the client (127.0.0.1): the address must come from the socket.
    const response = await visitFrom("127.0.0.7", `${tunnel.url}/who`, { headers: { ...FORGED, "x-visitor": "kept" } });
    expect(response.status).toBe(200);
    expectOnlyCaptunIdentity(seen, tunnel.url, server.deployed ? String(seen["x-forwarded-for"]) : "127.0.0.7");

    // The same through a raw request (repeated and oddly cased names included).
    const raw = await rawRequest(`${tunnel.url}/raw`, { ...FORGED, "CF-Connecting-IP": "203.0.113.99", "x-visitor": "kept" }, "127.0.0.8");
    expect(raw.status).toBe(200);
    if (!server.deployed) expect(seen["x-forwarded-for"]).toBe("127.0.0.8");
    expect(JSON.stringify(seen)).not.toMatch(FORGED_VALUES);
  });

  it("reach a WebSocket origin the same way", async () => {
    let seen: IncomingHttpHeaders = {};
    const wss = new WebSocketServer({ noServer: true });
    await using origin = await startOrigin((_req, res) => res.end("http"));
    origin.server.on("upgrade", (req, socket, head) => {
      seen = req.headers;
      wss.handleUpgrade(req, socket, head, (ws) => ws.on("message", (data) => ws.send(String(data))));
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const socket = new WebSocket(`${tunnel.url.replace(/^http/, "ws")}/ws`, {
      headers: { ...FORGED, "x-visitor": "kept" },
      lookup: localhostLookup as never,
      localAddress: "127.0.0.9",
    });
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    socket.send("hi");
    await new Promise((resolve) => socket.once("message", resolve));
    socket.close();
    expectOnlyCaptunIdentity(seen, tunnel.url, server.deployed ? String(seen["x-forwarded-for"]) : "127.0.0.9");
    for (const client of wss.clients) client.terminate();
  });
});

describe("the local server's front", () => {
  it("ignores Miniflare's control headers from visitors: MF-Original-URL cannot re-route a request", async () => {
    await using server = await startTestServer();
    await using origin = await startOrigin((req, res) => res.end(`origin saw ${req.url}`));
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const response = await visit(`${tunnel.url}/mine`, {
      headers: { "mf-original-url": `${tunnel.url.replace(/\/\/[^.]+\./, "//elsewhere.")}/evil` },
    });
    expect(await response.text()).toBe("origin saw /mine");
  });
});
