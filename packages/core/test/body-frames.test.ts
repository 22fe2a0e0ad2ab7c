import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { BodyFrames, FRAME_HEADROOM, INITIAL_CREDIT, isBodyFrame, STREAM_WINDOW, withFrameHeadroom } from "../src/body-frames.ts";
import { createCaptunTunnel } from "../src/client.ts";
import { BODY_FRAMES_HEADER } from "../src/protocol.ts";
import { type AcceptedTunnel, acceptCaptunTunnelFromSocket } from "../src/server.ts";
import type { MessageSocket } from "../src/transport.ts";
import { waitFor } from "./_harness.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Two BodyFrames joined by queues we deliver by hand, so frames "in flight" can be held. */
function framePair() {
  const toB: ArrayBuffer[] = [];
  const toA: ArrayBuffer[] = [];
  const joined = (parts: Uint8Array[]) => {
    const frame = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0));
    let at = 0;
    for (const part of parts) {
      frame.set(part, at);
      at += part.byteLength;
    }
    return frame.buffer;
  };
  const a = new BodyFrames((parts) => toB.push(joined(parts)));
  const b = new BodyFrames((parts) => toA.push(joined(parts)));
  return {
    a,
    b,
    toA,
    toB,
    deliverToA: () => {
      for (const frame of toA.splice(0)) a.handle(frame);
    },
    deliverToB: () => {
      for (const frame of toB.splice(0)) b.handle(frame);
    },
  };
}

/** An endless body of 64 KiB chunks that counts what its reader took and whether it was cancelled. */
function endlessBody() {
  const counter = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        counter.pulled += 64 * KiB;
        controller.enqueue(new Uint8Array(64 * KiB));
      },
      cancel() {
        counter.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { body, counter };
}

describe("body frames", () => {
  it("drops frames of a body its reader cancelled, and the sender stops and cancels its source", async () => {
    const link = framePair();
    const { body, counter } = endlessBody();
    const ref = link.a.send(body);
    await waitFor(() => link.toB.length >= 4, 5_000, "the first credit's worth of frames");
    link.deliverToB();
    const reader = link.b.receive(ref).getReader();
    expect((await reader.read()).value?.byteLength).toBe(64 * KiB);
    // More frames leave the sender before it hears of the cancel.
    link.deliverToA();
    await waitFor(() => link.toB.length > 0, 5_000, "frames sent on the first grant");
    await reader.cancel("visitor left");
    link.deliverToB();
    expect(link.b.sizes).toEqual({ sending: 0, receiving: 0, unreadBytes: 0 });
    link.deliverToA();
    await waitFor(() => counter.cancelled, 5_000, "the source to be cancelled");
    expect(link.a.sizes.sending).toBe(0);
    // Its closing frame clears the cancelled id; later frames with that id are dropped too.
    link.deliverToB();
    expect(link.b.sizes).toEqual({ sending: 0, receiving: 0, unreadBytes: 0 });
  });

  it("holds a reader that stops at its credit while another body on the same link keeps flowing", async () => {
    const link = framePair();
    const stalled = endlessBody();
    const stalledRef = link.a.send(stalled.body);
    const stalledReader = link.b.receive(stalledRef).getReader();
    await waitFor(() => link.toB.length > 0, 5_000, "a first frame");
    link.deliverToB();
    await stalledReader.read();
    const data = randomBytes(8 * MiB);
    const flowingRef = link.a.send(
      new ReadableStream({
        start(controller) {
          for (let at = 0; at < data.length; at += MiB) controller.enqueue(data.subarray(at, at + MiB));
          controller.close();
        },
      }),
    );
    const received: Uint8Array[] = [];
    const reading = (async () => {
      const reader = link.b.receive(flowingRef).getReader();
      for (let next = await reader.read(); !next.done; next = await reader.read()) received.push(next.value);
    })();
    // Deliver both ways until the flowing body is whole; the stalled one is never read again.
    let done = false;
    void reading.then(() => (done = true));
    const deadline = Date.now() + 10_000;
    while (!done && Date.now() < deadline) {
      link.deliverToB();
      link.deliverToA();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await reading;
    expect(sha256(Buffer.concat(received))).toBe(sha256(data));
    // What the stalled sender took from its source: its credit (initial, plus one grant made when
    // its first chunk was read), and one chunk it holds while waiting for more.
    expect(stalled.counter.pulled).toBeLessThanOrEqual(INITIAL_CREDIT + STREAM_WINDOW + 2 * 64 * KiB);
    expect(link.b.sizes.unreadBytes).toBeLessThanOrEqual(STREAM_WINDOW);
    await stalledReader.cancel();
  });

  it("fails the reader, never a clean end, when the session closes mid-body", async () => {
    const link = framePair();
    const { body } = endlessBody();
    const reader = link.b.receive(link.a.send(body)).getReader();
    await waitFor(() => link.toB.length > 0, 5_000, "a first frame");
    link.deliverToB();
    await reader.read();
    link.b.close(new Error("tunnel socket closed: 1006"));
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return "clean end";
      })(),
    ).rejects.toThrow("1006");
  });
});

describe("frame headroom", () => {
  it("sends a chunk that left room for the header as one message over its own buffer, bytes intact", async () => {
    const sent: Uint8Array[][] = [];
    const a = new BodyFrames((parts) => sent.push(parts));
    const b = new BodyFrames(() => {});
    const pieces = [randomBytes(200 * KiB), randomBytes(56 * KiB)].map((bytes) => {
      const buffer = new ArrayBuffer(FRAME_HEADROOM + bytes.byteLength);
      const chunk = new Uint8Array(buffer, FRAME_HEADROOM);
      chunk.set(bytes);
      return withFrameHeadroom(chunk);
    });
    const expected = sha256(Buffer.concat(pieces.map((piece) => Buffer.from(piece))));
    const ref = a.send(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const piece of pieces) controller.enqueue(piece);
          controller.close();
        },
      }),
    );
    await waitFor(() => sent.length === 3, 5_000, "two data frames and the end");
    // Each data frame is one part: the chunk's own buffer, header written in front (no copy).
    for (const [i, piece] of pieces.entries()) {
      expect(sent[i]).toHaveLength(1);
      expect(sent[i]?.[0]?.buffer).toBe(piece.buffer);
    }
    const reader = b.receive(ref).getReader();
    for (const parts of sent) {
      const frame = parts[0] as Uint8Array;
      b.handle(frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) as ArrayBuffer);
    }
    const received: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received.push(value);
    }
    expect(sha256(Buffer.concat(received))).toBe(expected);
  });
});

describe("negotiating body frames", () => {
  /** A Node server that accepts tunnels like the shard, counting body frames it receives. */
  async function nodeServer(speaksFrames: boolean) {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((resolve) => server.once("listening", resolve));
    const state = { tunnel: undefined as AcceptedTunnel | undefined, framesReceived: 0 };
    server.on("connection", (socket: WebSocket, request: IncomingMessage) => {
      // The transport sets binaryType "arraybuffer" on this socket.
      socket.on("message", (data: RawData, isBinary: boolean) => {
        if (isBinary && data instanceof ArrayBuffer && isBodyFrame(data)) state.framesReceived++;
      });
      state.tunnel = acceptCaptunTunnelFromSocket(socket as unknown as MessageSocket, {
        info: { url: "http://frames.test", name: "frames" },
        // An old server is one that never looks at the header.
        bodyFrames: speaksFrames && request.headers[BODY_FRAMES_HEADER] === "1",
      });
    });
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      state,
      [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  /** POSTs 4 MiB down the tunnel; the client echoes it back. Returns whether both ways arrived whole. */
  async function echo(tunnel: AcceptedTunnel): Promise<boolean> {
    const data = randomBytes(4 * MiB);
    const response = await tunnel.fetch(
      new Request("http://frames.test/echo", {
        method: "POST",
        body: new ReadableStream({
          start(controller) {
            for (let at = 0; at < data.length; at += 256 * KiB) controller.enqueue(data.subarray(at, at + 256 * KiB));
            controller.close();
          },
        }),
        duplex: "half",
      } as RequestInit),
    );
    return sha256(new Uint8Array(await response.arrayBuffer())) === sha256(data);
  }

  const echoOrigin = (request: Request) =>
    new Response(request.body, { headers: { "content-type": "application/octet-stream" } }) as Response;

  it.each([
    { client: true, server: true, frames: true },
    { client: true, server: false, frames: false },
    { client: false, server: true, frames: false },
  ])("client offers $client, server speaks $server: bodies whole, frames used: $frames", async ({ client, server, frames }) => {
    await using node = await nodeServer(server);
    await using _tunnel = await createCaptunTunnel({ url: node.url, fetch: echoOrigin, bodyFrames: client });
    await waitFor(() => node.state.tunnel !== undefined, 5_000, "the tunnel");
    expect(await echo(node.state.tunnel as AcceptedTunnel)).toBe(true);
    if (frames) expect(node.state.framesReceived).toBeGreaterThan(0);
    else expect(node.state.framesReceived).toBe(0);
  });
});
