// Headers first, the origin's reason phrase, and a visitor's leaving reaching the origin.
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { startOrigin, startTestServer, tunnelToOrigin, uniqueName, visit } from "./_harness.ts";
import { runCli, tempConfigHome } from "./fixtures/cli-process.ts";

describe("headers first", () => {
  it("a small body that trickles out: the visitor has the headers while the body is still arriving", async () => {
    let sent = 0;
    await using origin = await startOrigin((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain", "content-length": "5" });
      res.flushHeaders();
      // One byte every 200 ms: a slow render, a progress endpoint.
      const timer = setInterval(() => {
        res.write("abcde"[sent++]);
        if (sent === 5) {
          clearInterval(timer);
          res.end();
        }
      }, 200);
      res.once("close", () => clearInterval(timer));
    });
    await using server = await startTestServer();
    await using tunnel = await tunnelToOrigin(server, origin.url, uniqueName("trickle"));
    // identity: Miniflare's own entry Worker (local server only) gzips text for visitors that
    // accept it, and its compressor holds the headers until the body ends.
    const response = await visit(`${tunnel.url}/`, { headers: { "accept-encoding": "identity" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe("5");
    expect(sent).toBeLessThan(5);
    expect(await response.text()).toBe("abcde");
  });

  it("keeps the origin's reason phrase, custom ones included", async () => {
    await using origin = await startOrigin((req, res) => {
      res.statusMessage = req.url === "/custom" ? "Totally Fine" : "OK";
      res.end("x");
    });
    await using server = await startTestServer();
    await using tunnel = await tunnelToOrigin(server, origin.url, uniqueName("reason"));
    expect((await visit(`${tunnel.url}/`)).statusText).toBe("OK");
    expect((await visit(`${tunnel.url}/custom`)).statusText).toBe("Totally Fine");
  });
});

describe("a visitor that leaves", () => {
  it("cancels an SSE stream at the origin within a second", async () => {
    let closedAt = 0;
    let opened!: (res: ServerResponse) => void;
    const streaming = new Promise<ServerResponse>((resolve) => {
      opened = resolve;
    });
    await using origin = await startOrigin((_req, res) => {
      res.writeHead(200, { "content-type": process.env.CT ?? "text/event-stream", "cache-control": "no-cache" });
      res.write("data: hello\n\n");
      const timer = setInterval(() => res.write("data: tick\n\n"), 100);
      res.once("close", () => {
        clearInterval(timer);
        closedAt = Date.now();
      });
      opened(res);
    });
    await using server = await startTestServer();
    await using tunnel = await tunnelToOrigin(server, origin.url, uniqueName("sse"));
    const visitor = new AbortController();
    const response = await visit(`${tunnel.url}/events`, {
      signal: visitor.signal,
      headers: process.env.AE ? { "accept-encoding": process.env.AE } : {},
    });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: hello\n\n");
    const res = await streaming;
    const leftAt = Date.now();
    visitor.abort();
    await expect.poll(() => closedAt, { timeout: 5_000 }).toBeGreaterThan(0);
    // The goal is within a second; the margin is for loaded test machines. Before, it was never.
    expect(closedAt - leftAt).toBeLessThan(2_000);
    expect(res.destroyed).toBe(true);
  });
});

describe("captun server's terminal", () => {
  it("stays quiet when visitors leave in the middle of downloads", async () => {
    await using home = await tempConfigHome();
    await using origin = await startOrigin((req, res) => {
      // Half of them declare a length (a file), half are chunked.
      const declared = req.url?.endsWith("?length") ? { "content-length": String(1024 ** 3) } : {};
      res.writeHead(200, { "content-type": "application/octet-stream", ...declared });
      if (req.method === "HEAD") return res.end();
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {}
      };
      res.on("drain", pump);
      pump();
    });
    await using server = runCli(["server", "--port", "0"], { XDG_CONFIG_HOME: home.path });
    await server.waitFor(/Server:\s+http/);
    await using cli = runCli([new URL(origin.url).port, "--name", uniqueName("leave")], { XDG_CONFIG_HOME: home.path });
    const [, publicUrl] = await cli.waitFor(/Public:\s+(\S+)/);
    for (let i = 0; i < 6; i++) {
      const visitor = new AbortController();
      const response = await visit(`${publicUrl}/download${i % 2 ? "?length" : ""}`, { signal: visitor.signal });
      const reader = response.body!.getReader();
      await reader.read();
      visitor.abort();
    }
    // A request after them proves the tunnel is healthy and gives the server time to log.
    expect((await visit(`${publicUrl}/download`, { method: "HEAD" })).status).toBe(200);
    expect(server.output).not.toMatch(/disposed without calling close|Uncaught exception/);
  });
});
