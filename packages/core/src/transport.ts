import type { RpcTransportWithCustomEncoding } from "capnweb";
import { BodyFrames, isBodyFrame } from "./body-frames.ts";
import { bodyStreamsSending } from "./rechunk.ts";

/**
 * A Cap'n Web transport over a WebSocket that keeps body bytes binary.
 *
 * Cap'n Web hands us message trees at the `jsonCompatibleWithBytes` level, where byte arrays stay
 * `Uint8Array`. A tree without bytes goes out as a JSON text frame. A tree with bytes goes out as
 * one binary frame: a 4-byte little-endian JSON length, the JSON (each byte array replaced by
 * `["bytes", [offset, length]]`), then the byte arrays back to back. This avoids base64 and
 * Cap'n Web's string round trip, which dominate the cost of streaming bodies.
 */

/** The DOM-style WebSocket surface we need; workerd's and the `ws` package's both provide it. */
export interface MessageSocket {
  binaryType: string;
  readonly readyState: number;
  send(data: string | ArrayBufferLike | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: "error", listener: (event: unknown) => void): void;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * Encodes a message as a JSON string, or as the parts of one binary frame: the length-prefixed
 * JSON head, then each byte array as it is (not copied).
 */
export function encodeMessageParts(tree: unknown): string | Uint8Array[] {
  const blobs: Uint8Array[] = [];
  let offset = 0;
  // Byte arrays are swapped for references before JSON.stringify sees them: a replacer would run
  // after `toJSON`, and Node's Buffer.toJSON turns 64 KiB into an array of 65,536 numbers, which
  // doubled the client's CPU per MiB. Containers are copied only where something was swapped.
  const swap = (value: unknown): unknown => {
    if (value instanceof Uint8Array) {
      blobs.push(value);
      const ref = [offset, value.byteLength];
      offset += value.byteLength;
      return ref;
    }
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      value.forEach((item, i) => {
        const swapped = swap(item);
        if (swapped === item) return;
        copy ??= [...value];
        copy[i] = swapped;
      });
      return copy ?? value;
    }
    if (isPlainObject(value)) {
      let copy: Record<string, unknown> | undefined;
      for (const [key, item] of Object.entries(value)) {
        const swapped = swap(item);
        if (swapped === item) continue;
        copy ??= { ...value };
        copy[key] = swapped;
      }
      return copy ?? value;
    }
    return value;
  };
  const json = JSON.stringify(swap(tree));
  if (blobs.length === 0) return json;
  const text = textEncoder.encode(json);
  const head = new Uint8Array(4 + text.byteLength);
  new DataView(head.buffer).setUint32(0, text.byteLength, true);
  head.set(text, 4);
  return [head, ...blobs];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export function encodeMessage(tree: unknown): string | Uint8Array {
  const parts = encodeMessageParts(tree);
  return typeof parts === "string" ? parts : joinParts(parts);
}

function joinParts(parts: Uint8Array[]): Uint8Array {
  const frame = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    frame.set(part, at);
    at += part.byteLength;
  }
  return frame;
}

export function decodeMessage(data: string | ArrayBuffer): unknown {
  if (typeof data === "string") return JSON.parse(data);
  const view = new DataView(data);
  const headLength = view.getUint32(0, true);
  const base = 4 + headLength;
  return JSON.parse(textDecoder.decode(new Uint8Array(data, 4, headLength)), (_key, value) => {
    if (isBytesRef(value)) (value as unknown[])[1] = new Uint8Array(data, base + value[1][0], value[1][1]);
    return value;
  });
}

// Cap'n Web escapes literal arrays by wrapping them, so an unescaped `["bytes", [n, n]]` can only
// be one of our references.
function isBytesRef(value: unknown): value is [string, [number, number], ...unknown[]] {
  if (!Array.isArray(value) || value[0] !== "bytes") return false;
  const ref: unknown = value[1];
  return Array.isArray(ref) && ref.length === 2 && typeof ref[0] === "number" && typeof ref[1] === "number";
}

/**
 * Cap'n Web sizes each stream's window from the sizes `send` reports: delivered bytes per ms times
 * the fastest round trip seen, never below 64 KiB, starting at 256 KiB. On a fast link (loopback,
 * or a client next to its Worker) the window sits near that floor, so a stream stops every 64 KiB
 * to wait for an acknowledgement, which capped a download at ~80 MiB/s here. Reporting sizes in
 * units of N bytes scales every window by N while it still adapts to the link.
 *
 * The receiver holds up to one window per stream, and a Durable Object has 128 MB, so the scale
 * shrinks as more bodies are sent at once: 4 (1 MiB initial window) for up to 8 streams, 2 up to
 * 16, then Cap'n Web's own sizes. What one sender puts in flight at the start stays within
 * max(8 MiB, streams × 256 KiB).
 *
 * workerd's clock moves only at I/O, so a Durable Object often measures a 0 ms round trip: its
 * windows then settle at the floor (256 KiB here). A 0 ms interval between acknowledgements also
 * made Cap'n Web's window NaN, which stalled streams or switched flow control off;
 * patches/capnweb@0.12.0.patch skips those samples (docs/benchmarks.md).
 */
export function flowControlUnit(streams: number): number {
  return streams <= 8 ? 4 : streams <= 16 ? 2 : 1;
}

export interface SocketClose {
  code: number;
  reason: string;
}

export interface WebSocketTransportOptions {
  /**
   * Sends the parts of one binary message as WebSocket fragments, so body bytes are never copied
   * into a joined frame. Only Node's `ws` can; workerd's WebSocket sends whole messages.
   * @default undefined (parts are joined into one message)
   */
  sendParts?: (parts: Uint8Array[]) => void;
}

export class WebSocketTransport implements RpcTransportWithCustomEncoding {
  readonly encodingLevel = "jsonCompatibleWithBytes" as const;
  /** Resolves once the socket has closed, with its close code and reason. */
  readonly closed: Promise<SocketClose>;
  /** When the last message arrived (ms since the epoch); heartbeats watch it. */
  lastReceivedAt = Date.now();
  /** Body frames beside the session (body-frames.ts); used once both sides announced them. */
  readonly frames: BodyFrames;

  #socket: MessageSocket;
  #sendParts: ((parts: Uint8Array[]) => void) | undefined;
  #queue: unknown[] = [];
  #waiter: { resolve: (m: unknown) => void; reject: (e: unknown) => void } | undefined;
  #error: unknown;
  #onClosed!: (close: SocketClose) => void;

  constructor(socket: MessageSocket, options: WebSocketTransportOptions = {}) {
    this.#socket = socket;
    this.#sendParts = options.sendParts;
    socket.binaryType = "arraybuffer";
    this.frames = new BodyFrames(
      (parts) => {
        if (this.#error !== undefined) return;
        if (this.#sendParts) this.#sendParts(parts);
        else this.#socket.send(parts.length === 1 ? (parts[0] as Uint8Array) : joinParts(parts));
      },
      { batch: this.#sendParts !== undefined },
    );
    this.closed = new Promise((resolve) => {
      this.#onClosed = resolve;
    });
    socket.addEventListener("message", (event) => {
      if (this.#error !== undefined) return;
      this.lastReceivedAt = Date.now();
      if (event.data instanceof ArrayBuffer && isBodyFrame(event.data)) {
        this.frames.handle(event.data);
        return;
      }
      let message: unknown;
      try {
        message = decodeMessage(event.data as string | ArrayBuffer);
      } catch (error) {
        this.#fail(error);
        return;
      }
      if (this.#waiter) {
        this.#waiter.resolve(message);
        this.#waiter = undefined;
      } else {
        this.#queue.push(message);
      }
    });
    socket.addEventListener("close", (event) => {
      this.#fail(new Error(`tunnel socket closed: ${event.code} ${event.reason}`.trim()));
      this.#onClosed({ code: event.code, reason: event.reason });
    });
    socket.addEventListener("error", () => {
      this.#fail(new Error("tunnel socket failed"));
    });
  }

  /** Returns the message's size in flow-control units (see {@link flowControlUnit}). */
  send(message: unknown): number | undefined {
    if (this.#error !== undefined) return undefined;
    const parts = encodeMessageParts(message);
    if (typeof parts === "string") {
      this.#socket.send(parts);
      return Math.ceil(parts.length / flowControlUnit(bodyStreamsSending()));
    }
    if (this.#sendParts) this.#sendParts(parts);
    else this.#socket.send(joinParts(parts));
    return Math.ceil(parts.reduce((total, part) => total + part.byteLength, 0) / flowControlUnit(bodyStreamsSending()));
  }

  receive(): Promise<unknown> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift());
    if (this.#error !== undefined) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  abort(reason: unknown): void {
    this.#fail(reason);
    try {
      this.#socket.close(1011, "rpc session aborted");
    } catch {
      // Already closed: nothing left to tell the peer.
    }
  }

  /**
   * Ends the session now, without waiting for the peer's half of the closing handshake (a silent
   * peer never sends it): pending calls fail and `closed` resolves with this code.
   */
  terminate(code: number, reason: string): void {
    this.#fail(new Error(`tunnel socket closed: ${code} ${reason}`.trim()));
    try {
      this.#socket.close(code, reason);
    } catch {
      // Already closed.
    }
    this.#onClosed({ code, reason });
  }

  #fail(error: unknown): void {
    if (this.#error !== undefined) return;
    this.#error = error;
    this.frames.close(error instanceof Error ? error : new Error(String(error)));
    this.#waiter?.reject(error);
    this.#waiter = undefined;
  }
}
