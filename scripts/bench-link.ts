// A simulated home link for benchmarks: a TCP relay that delays every byte by half the round trip
// and paces each direction to its bandwidth, as one FIFO per direction shared by all connections
// (a laptop's uplink is one queue, however many connections cross it). Byte order is kept, and a
// full queue or a slow receiver pauses the sender, so nothing buffers without bound.
//
// `node scripts/bench-link.ts --target 127.0.0.1:5173 [--rtt-ms 40] [--up-mbit 20] [--down-mbit 100]
// [--laptop target|connector]` runs one by hand. Forked with an IPC channel (bench-page-load.ts),
// it serves `{ op: "start" | "counts" | "close" }` messages so the link's timers run in their own
// event loop, away from the dev server and the browser driver.
import type { AddressInfo, Socket } from "node:net";
import { connect, createServer } from "node:net";
import { parseArgs } from "node:util";

export interface LinkOptions {
  /** `host:port` or a URL: where the link leads. */
  target: string;
  /** Round trip the link adds; half of it each way. @default 40 */
  rttMs?: number;
  /** Laptop → internet. @default 20 */
  upMbit?: number;
  /** Internet → laptop. @default 100 */
  downMbit?: number;
  /**
   * Which end is the laptop: `connector` when a tunnel client on the laptop connects through the
   * link to its server; `target` when visitors connect through it to a server on the laptop (a raw
   * forward such as `ssh -R` or bore).
   */
  laptop: "connector" | "target";
  /**
   * Bytes one direction holds beyond what is on the wire before its senders are paused: the
   * router's queue. @default 50 ms at the direction's rate, at least 64 KiB
   */
  queueBytes?: number;
}

export interface LinkCounts {
  /** Bytes that crossed the laptop's uplink. */
  up: number;
  /** Bytes that crossed toward the laptop. */
  down: number;
  connections: number;
  /** Most bytes either direction ever held (queued or on the wire): what backpressure bounds. */
  peakQueued: number;
}

export interface Link extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`: connect here instead of the target. */
  url: string;
  port: number;
  counts(): LinkCounts;
  close(): Promise<void>;
}

/** Serialisation granularity: finer pieces arrive more smoothly, coarser ones need fewer timers. */
const PIECE_BYTES = 16 * 1024;

interface Pipe {
  from: Socket;
  to: Socket;
  heldByQueue: boolean;
  heldByReceiver: boolean;
}

interface Piece {
  pipe: Pipe;
  /** `null` carries the sender's end, in order after its data. */
  chunk: Buffer | null;
  at: number;
}

/** One direction of the link: a FIFO paced at `bytesPerMs`, each piece arriving `delayMs` after it is sent. */
class Direction {
  bytes = 0;
  peakQueued = 0;
  private nextFree = 0;
  private readonly pieces: Piece[] = [];
  private head = 0;
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly held = new Set<Pipe>();
  private readonly bytesPerMs: number;
  private readonly delayMs: number;
  private readonly limit: number;

  constructor(bytesPerMs: number, delayMs: number, limit: number) {
    this.bytesPerMs = bytesPerMs;
    this.delayMs = delayMs;
    this.limit = limit;
  }

  send(pipe: Pipe, chunk: Buffer | null): void {
    const now = performance.now();
    if (chunk === null) {
      this.pieces.push({ pipe, chunk, at: Math.max(now, this.nextFree) + this.delayMs });
    } else {
      for (let offset = 0; offset < chunk.length; offset += PIECE_BYTES) {
        const piece = chunk.subarray(offset, offset + PIECE_BYTES);
        this.nextFree = Math.max(now, this.nextFree) + piece.length / this.bytesPerMs;
        this.pieces.push({ pipe, chunk: piece, at: this.nextFree + this.delayMs });
        this.queued += piece.length;
      }
      this.peakQueued = Math.max(this.peakQueued, this.queued);
      // What is on the wire is not queued: only the excess over one delay's worth pauses the sender.
      if (this.queued > this.limit + this.bytesPerMs * this.delayMs && !pipe.heldByQueue) {
        pipe.heldByQueue = true;
        this.held.add(pipe);
        pipe.from.pause();
      }
    }
    this.schedule(now);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.pieces.length = 0;
    this.head = 0;
  }

  private schedule(now: number): void {
    const next = this.pieces[this.head];
    if (this.timer || !next) return;
    this.timer = setTimeout(() => this.deliver(), Math.max(0, next.at - now));
  }

  private deliver(): void {
    this.timer = undefined;
    const now = performance.now();
    // Timers fire up to a millisecond early or late; the schedule, not the timer, sets the pace.
    for (let piece = this.pieces[this.head]; piece && piece.at <= now + 0.5; piece = this.pieces[this.head]) {
      this.head++;
      const { pipe, chunk } = piece;
      if (chunk === null) {
        if (!pipe.to.destroyed) pipe.to.end();
        continue;
      }
      this.queued -= chunk.length;
      if (pipe.to.destroyed) continue;
      this.bytes += chunk.length;
      if (!pipe.to.write(chunk) && !pipe.heldByReceiver) {
        pipe.heldByReceiver = true;
        pipe.from.pause();
        pipe.to.once("drain", () => {
          pipe.heldByReceiver = false;
          if (!pipe.heldByQueue) pipe.from.resume();
        });
      }
    }
    if (this.head > 1024) {
      this.pieces.splice(0, this.head);
      this.head = 0;
    }
    if (this.queued <= this.limit / 2 + this.bytesPerMs * this.delayMs) {
      for (const pipe of this.held) {
        pipe.heldByQueue = false;
        if (!pipe.heldByReceiver) pipe.from.resume();
      }
      this.held.clear();
    }
    this.schedule(now);
  }
}

export async function startLink(options: LinkOptions): Promise<Link> {
  const target = new URL(options.target.includes("://") ? options.target : `tcp://${options.target}`);
  const host = target.hostname === "localhost" ? "127.0.0.1" : target.hostname.replace(/^\[|\]$/g, "");
  const delayMs = (options.rttMs ?? 40) / 2;
  const direction = (mbit: number) => {
    const bytesPerMs = (mbit * 1e6) / 8 / 1000;
    return new Direction(bytesPerMs, delayMs, options.queueBytes ?? Math.max(64 * 1024, bytesPerMs * 50));
  };
  const up = direction(options.upMbit ?? 20);
  const down = direction(options.downMbit ?? 100);
  const [towardTarget, towardConnector] = options.laptop === "connector" ? [up, down] : [down, up];
  const sockets = new Set<Socket>();
  let connections = 0;

  const server = createServer({ allowHalfOpen: true }, (connector) => {
    connections++;
    const upstream = connect({ host, port: Number(target.port), allowHalfOpen: true });
    const pipes: [Direction, Pipe][] = [
      [towardTarget, { from: connector, to: upstream, heldByQueue: false, heldByReceiver: false }],
      [towardConnector, { from: upstream, to: connector, heldByQueue: false, heldByReceiver: false }],
    ];
    for (const [dir, pipe] of pipes) {
      sockets.add(pipe.from);
      pipe.from.on("data", (chunk: Buffer) => dir.send(pipe, chunk));
      pipe.from.on("end", () => dir.send(pipe, null));
      // A reset on either side resets the other; a clean close travels as an end, in order.
      pipe.from.on("error", () => {
        connector.destroy();
        upstream.destroy();
      });
      pipe.from.on("close", () => sockets.delete(pipe.from));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    up.dispose();
    down.dispose();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    counts: () => ({ up: up.bytes, down: down.bytes, connections, peakQueued: Math.max(up.peakQueued, down.peakQueued) }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

export type LinkMessage = { op: "start"; id: number; options: LinkOptions } | { op: "counts"; id: number } | { op: "close"; id: number };

if (import.meta.main && process.send) {
  // Forked by a benchmark: one process may hold several links, each answered by its message id.
  const links = new Map<number, Link>();
  process.on("message", async (message: LinkMessage) => {
    try {
      if (message.op === "start") {
        const link = await startLink(message.options);
        links.set(message.id, link);
        process.send?.({ id: message.id, url: link.url, port: link.port });
      } else if (message.op === "counts") {
        process.send?.({ id: message.id, ...links.get(message.id)?.counts() });
      } else {
        await links.get(message.id)?.close();
        links.delete(message.id);
        process.send?.({ id: message.id });
      }
    } catch (error) {
      process.send?.({ id: message.id, error: (error as Error).message });
    }
  });
  // The parent going away ends the relay with it.
  process.on("disconnect", () => process.exit(0));
} else if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      target: { type: "string" },
      "rtt-ms": { type: "string", default: "40" },
      "up-mbit": { type: "string", default: "20" },
      "down-mbit": { type: "string", default: "100" },
      laptop: { type: "string", default: "target" },
    },
  });
  if (!values.target) throw new Error("Pass --target host:port (the server the link leads to).");
  const link = await startLink({
    target: values.target,
    rttMs: Number(values["rtt-ms"]),
    upMbit: Number(values["up-mbit"]),
    downMbit: Number(values["down-mbit"]),
    laptop: values.laptop === "connector" ? "connector" : "target",
  });
  console.log(JSON.stringify({ url: link.url }));
  process.once("SIGINT", () => {
    console.log(JSON.stringify(link.counts()));
    void link.close();
  });
}
