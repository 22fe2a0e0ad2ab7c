// "The origin is the only upstream": whatever path, target form or Host a visitor sends, the
// tunnel's client talks to the configured origin and nothing else. A canary server on another
// loopback port plays "anything else" (another local service, a metadata address): it must never
// see a single TCP connection, for HTTP or WebSocket, through the library or the CLI.
import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { localhostLookup } from "../src/_localhost.ts";
import { ERROR_HEADER } from "../src/protocol.ts";
import { startOrigin, startTestServer, type TestServer, tunnelToOrigin, uniqueName } from "./_harness.ts";
import { runCli, tempConfigHome } from "./fixtures/cli-process.ts";

/** A loopback server that counts every TCP connection it is offered. */
async function startCanary() {
  const server = createServer((_req, res) => res.end("canary"));
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The origin: answers `origin <path>` and accepts WebSockets, recording every target it saw. */
async function startRecordingOrigin() {
  const seen: string[] = [];
  const origin = await startOrigin((req, res) => {
    seen.push(req.url ?? "");
    res.end(`origin ${req.url}`);
  });
  const wss = new WebSocketServer({ noServer: true });
  origin.server.on("upgrade", (req, socket, head) => {
    seen.push(req.url ?? "");
    wss.handleUpgrade(req, socket, head, (ws) => ws.close());
  });
  return Object.assign(origin, { seen });
}

/** Visitor paths that once picked another upstream (`//host` and its spellings), and kin. */
function attackPaths(canary: string): string[] {
  return [
    `//${canary}/x`,
    `///${canary}/x`,
    `/\\${canary}/x`,
    `/\\\\${canary}/x`,
    `/%2F%2F${canary}/x`,
    `/%5C${canary}/x`,
    `/%5c%5c${canary}/x`,
    `/..//${canary}/x`,
    `/a/..//${canary}/x`,
    `/%2e%2e//${canary}/x`,
    `/.%2E/\\${canary}/x`,
    `/@${canary}/x`,
    `//${canary}`,
    `//${canary}?q=1`,
  ];
}

/** A request with a raw target (Node sends `path` as it is): status, body, and 101 for upgrades. */
function rawRequest(port: number, target: string, host: string, upgrade = false): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { host, connection: "close" };
  if (upgrade) {
    Object.assign(headers, {
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-version": "13",
      "sec-websocket-key": randomBytes(16).toString("base64"),
    });
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path: target, headers, agent: false, maxHeaderSize: 256 * 1024 });
    req.once("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: "" });
    });
    req.once("response", (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.once("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.once("error", reject);
    });
    req.once("error", reject);
    req.end();
  });
}

interface Exposed {
  port: number;
  /** The public URL's host, and the path prefix in front of every visitor path (folder routing). */
  host: string;
  prefix: string;
}

/** Throws every shape at `exposed`, over HTTP and as WebSocket upgrades; the canary sees nothing. */
async function attack(exposed: Exposed, canary: Awaited<ReturnType<typeof startCanary>>, origin: { seen: string[] }) {
  const results: { target: string; upgrade: boolean; status: number; body: string }[] = [];
  const targets = [
    ...attackPaths(canary.host).map((path) => ({ target: exposed.prefix + path, host: exposed.host })),
    // Absolute-form, naming the canary, once with the public Host and once with the canary's.
    { target: `http://${canary.host}/abs`, host: exposed.host },
    { target: `http://${exposed.host}${exposed.prefix}//${canary.host}/abs`, host: exposed.host },
    // A Host that differs from the public one.
    { target: `${exposed.prefix}/host`, host: canary.host },
  ];
  for (const upgrade of [false, true]) {
    for (const { target, host } of targets) {
      const answer = await rawRequest(exposed.port, target, host, upgrade);
      results.push({ target, upgrade, ...answer });
    }
  }
  expect(canary.connections).toBe(0);
  // What got through went to the origin, as a path of its own.
  for (const result of results.filter((r) => r.status === 200)) expect(result.body).toMatch(/^origin \//);
  for (const seen of origin.seen) expect(seen.startsWith("/")).toBe(true);
  return results;
}

describe("the origin is the only upstream", () => {
  let canary: Awaited<ReturnType<typeof startCanary>>;
  beforeAll(async () => {
    canary = await startCanary();
  });
  afterAll(async () => {
    await canary?.[Symbol.asyncDispose]();
  });

  describe.each(["subdomain", "folder"] as const)("createCaptunTunnel + createOriginFetcher under %s routing", (routing) => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ routing });
    });
    afterAll(async () => {
      await server?.[Symbol.asyncDispose]();
    });

    it("sends every path shape, target form and Host to the origin only, keeping its bytes", async () => {
      await using origin = await startRecordingOrigin();
      await using tunnel = await tunnelToOrigin(server, origin.url, uniqueName("only"));
      const url = new URL(tunnel.url);
      const results = await attack(
        { port: Number(url.port), host: url.host, prefix: routing === "folder" ? url.pathname : "" },
        canary,
        origin,
      );
      // The origin sees the shapes as its own paths, byte for byte where the URL standard keeps them.
      expect(origin.seen).toContain(`//${canary.host}/x`);
      expect(origin.seen).toContain(`/%2F%2F${canary.host}/x`);
      expect(origin.seen).toContain(`/%5C${canary.host}/x`);
      expect(origin.seen).toContain(`//${canary.host}?q=1`);
      const upgraded = results.filter((r) => r.upgrade && r.status === 101).map((r) => r.target);
      expect(upgraded).toContain(`${routing === "folder" ? url.pathname : ""}//${canary.host}/x`);
    });

    it("keeps a base path in front of every shape", async () => {
      await using origin = await startRecordingOrigin();
      await using tunnel = await tunnelToOrigin(server, `${origin.url}/base/`, uniqueName("base"));
      const url = new URL(tunnel.url);
      await attack({ port: Number(url.port), host: url.host, prefix: routing === "folder" ? url.pathname : "" }, canary, origin);
      expect(origin.seen).toContain(`/base//${canary.host}/x`);
      for (const seen of origin.seen) expect(seen.startsWith("/base/")).toBe(true);
    });
  });

  it("does the same for `captun <port>`", async () => {
    await using server = await startTestServer();
    await using home = await tempConfigHome();
    await using origin = await startRecordingOrigin();
    const serverUrl = new URL(server.url);
    const name = uniqueName("cli-only");
    const port = new URL(origin.url).port;
    await using cli = runCli([port, "--name", name, "--server-url", `http://*.localhost:${serverUrl.port}`, "--secret", server.secret], {
      XDG_CONFIG_HOME: home.path,
    });
    const [, publicUrl = ""] = await cli.waitFor(/Public:\s+(\S+)/);
    const url = new URL(publicUrl);
    expect(url.hostname).toBe(`${name}.localhost`);
    await attack({ port: Number(url.port), host: url.host, prefix: "" }, canary, origin);
    expect(origin.seen).toContain(`//${canary.host}/x`);
  });
});

describe("response headers", () => {
  const visitorAgent = new Agent({ connect: { lookup: localhostLookup as never }, maxHeaderSize: 256 * 1024 });
  const LIMIT = 64 * 1024;

  it("passes up to 64 KiB of response headers and answers a clear 502 beyond, for HTTP and WebSocket upgrades", async () => {
    await using server = await startTestServer();
    // Header names and values add up to `size` bytes, Node's own date/connection/content-length included.
    const bigHeaders = (req: IncomingMessage) => {
      const size = Number(new URL(req.url ?? "/", "http://x").searchParams.get("size"));
      return { "x-big": "a".repeat(size - 5 - 200) };
    };
    await using origin = await startOrigin((req, res) => {
      res.writeHead(200, bigHeaders(req));
      res.end("fine");
    });
    const wss = new WebSocketServer({ noServer: true });
    wss.on("headers", (headers, req) => headers.push(`x-big: ${bigHeaders(req)["x-big"]}`));
    origin.server.on("upgrade", (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.close()));
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const get = (size: number) => undiciFetch(`${tunnel.url}/?size=${size}`, { dispatcher: visitorAgent });

    const fits = await get(LIMIT);
    expect(fits.status).toBe(200);
    expect(fits.headers.get("x-big")?.length).toBe(LIMIT - 205);
    expect(await fits.text()).toBe("fine");

    const tooLarge = await get(LIMIT + 300);
    expect(tooLarge.status).toBe(502);
    expect(tooLarge.headers.get(ERROR_HEADER)).toBe("response-headers-too-large");
    expect(await tooLarge.text()).toContain("64 KiB");

    const url = new URL(tunnel.url);
    const upgradeFits = await rawRequest(Number(url.port), `/?size=${LIMIT - 1024}`, url.host, true);
    expect(upgradeFits.status).toBe(101);
    const upgradeTooLarge = await rawRequest(Number(url.port), `/?size=${LIMIT + 300}`, url.host, true);
    expect(upgradeTooLarge.status).toBe(502);
    expect(upgradeTooLarge.body).toContain("64 KiB");

    // The tunnel keeps serving.
    const after = await get(1024);
    expect(after.status).toBe(200);
    await after.arrayBuffer();
  });
});
