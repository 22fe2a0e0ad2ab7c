import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { RpcStub } from "capnweb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import type { WebSocketEndApi } from "../src/protocol.ts";
import { WebSocketCloseCode } from "../src/protocol.ts";
import { FramePump } from "../src/websocket-bridge.ts";
import { startTestServer, type TestServer, tunnelToOrigin, uniqueName, visit, waitFor } from "./_harness.ts";
import { closed, openVisitor, startWsOrigin } from "./_websocket-harness.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

describe("WebSocket flow control", () => {
  it("keeps at most one window unacknowledged and pauses the source until credit returns", async () => {
    const acks: (() => void)[] = [];
    const sent: number[] = [];
    const remote = {
      send(frame: Uint8Array) {
        sent.push(frame.byteLength);
        return Object.assign(new Promise<void>((resolve) => acks.push(resolve)), { [Symbol.dispose]() {} });
      },
      close: () => Promise.resolve(),
      [Symbol.dispose]() {},
    } as unknown as RpcStub<WebSocketEndApi>;
    const events: string[] = [];
    const pump = new FramePump(remote, {
      windowBytes: 100,
      maxQueuedBytes: 1_000,
      onPause: () => events.push("pause"),
      onResume: () => events.push("resume"),
      onOverflow: () => events.push("overflow"),
      onBroken: () => events.push("broken"),
    });
    for (let i = 0; i < 6; i++) pump.send(new Uint8Array(40));
    expect(sent).toEqual([40, 40]);
    expect(pump.inFlightBytes).toBe(80);
    expect(events).toEqual(["pause"]);
    while (acks.length > 0) {
      acks.shift()!();
      await Promise.resolve();
      await Promise.resolve();
      expect(pump.inFlightBytes).toBeLessThanOrEqual(100);
    }
    expect(sent).toEqual([40, 40, 40, 40, 40, 40]);
    expect(events).toEqual(["pause", "resume"]);
    for (let i = 0; i < 30; i++) pump.send(new Uint8Array(40));
    expect(events).toContain("overflow");
  });

  it("delivers every frame in order to an origin that stops reading for a while", async () => {
    const frames: Buffer[] = [];
    let originSocket: WebSocket | undefined;
    await using origin = await startWsOrigin({
      onSocket: (socket) => {
        originSocket = socket;
        socket.pause();
        socket.on("message", (data) => frames.push(data as Buffer));
      },
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    await using visitor = await openVisitor(tunnel.url);
    const count = 128;
    for (let i = 0; i < count; i++) visitor.send(Buffer.alloc(64 * 1024, i));
    await waitFor(() => visitor.bufferedAmount === 0 && originSocket !== undefined, 10_000, "the visitor to flush");
    originSocket!.resume();
    await waitFor(() => frames.length === count, 20_000, `${count} frames at the origin`);
    expect(frames.map((frame) => frame[0])).toEqual(Array.from({ length: count }, (_, i) => i % 256));
    expect(frames.every((frame) => frame.byteLength === 64 * 1024)).toBe(true);
  });

  it("cuts off a visitor that outruns a stalled origin instead of buffering without end", async () => {
    let received = 0;
    let stalled = 0;
    await using origin = await startWsOrigin({
      onSocket: (socket) => {
        // The first socket stalls; later ones echo.
        if (stalled++ > 0) {
          socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
          return;
        }
        socket.pause();
        socket.on("message", (data) => {
          received += (data as Buffer).byteLength;
        });
      },
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    await using visitor = await openVisitor(tunnel.url);
    const close = closed(visitor, 30_000);
    const frame = Buffer.alloc(512 * 1024);
    let sentBytes = 0;
    // Bounded: 256 MiB at most, far beyond what captun may hold for one socket.
    while (sentBytes < 256 * 1024 * 1024 && visitor.readyState === visitor.OPEN) {
      visitor.send(frame);
      sentBytes += frame.byteLength;
      if (visitor.bufferedAmount > 8 * 1024 * 1024)
        await waitFor(() => visitor.bufferedAmount < 1024 * 1024 || visitor.readyState !== visitor.OPEN, 30_000);
    }
    expect((await close).code).toBe(WebSocketCloseCode.overloaded);
    expect(received).toBe(0);
    // Only that socket ended: the tunnel carries the next one.
    await using next = await openVisitor(tunnel.url);
    next.send("after the cut-off");
    expect((await next.next()).data).toBe("after the cut-off");
  });

  it("closes visitor sockets with 1014 when the client process is killed, and nothing hangs", async () => {
    await using origin = await startWsOrigin();
    const child = spawn(
      process.execPath,
      [new URL("./fixtures/tunnel-client.ts", import.meta.url).pathname, server.tunnelUrl(uniqueName("ws")), server.secret, origin.url],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const { url } = await firstLine(child);
      const visitors = await Promise.all(Array.from({ length: 5 }, () => openVisitor(url)));
      visitors[0]!.send("still there?");
      expect((await visitors[0]!.next()).data).toBe("still there?");
      const closes = visitors.map((visitor) => closed(visitor, 30_000));
      child.kill("SIGKILL");
      for (const close of await Promise.all(closes)) expect(close.code).toBe(WebSocketCloseCode.tunnelGone);
      await waitFor(async () => (await visit(url)).status === 503, 10_000, "503 after the client died");
    } finally {
      child.kill("SIGKILL");
    }
  });
});

async function firstLine(child: ChildProcess): Promise<{ url: string }> {
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([once(lines, "line"), once(child, "exit").then(() => ["exit"])])) as [string];
  if (line === "exit") throw new Error("tunnel client exited before it was ready");
  return JSON.parse(line);
}
