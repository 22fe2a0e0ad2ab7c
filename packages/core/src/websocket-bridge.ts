import { type RpcStub, RpcTarget } from "capnweb";
import { MAX_WEBSOCKET_MESSAGE_BYTES, WEBSOCKET_WINDOW_BYTES, WebSocketCloseCode, type WebSocketEndApi } from "./protocol.ts";
import type { TunnelWebSocket } from "./websocket.ts";

/** A socket that cannot be paused (workerd's) may buffer this much before captun closes it. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
/** `send()` acknowledges a frame once the socket's own buffer is below this. */
const SOCKET_HIGH_WATER_BYTES = 256 * 1024;
const OPEN = 1;

type Frame = string | Uint8Array;
type QueueItem = { frame: Frame; size: number } | { close: [code: number, reason: string] };

/** Close code for an origin socket nobody waits for any more (RFC 6455 "going away"). */
export const GOING_AWAY = 1001;
export const ABANDONED_REASON = "captun: the visitor left before the upgrade finished";

export interface FramePumpOptions {
  /** @default WEBSOCKET_WINDOW_BYTES */
  windowBytes?: number;
  /** @default 16 MiB */
  maxQueuedBytes?: number;
  /** The window is full: stop reading the local socket if you can. */
  onPause?: () => void;
  onResume?: () => void;
  /** More than `maxQueuedBytes` are waiting: the local socket outran the remote one. */
  onOverflow: () => void;
  /** A call to the remote end failed: the tunnel is gone. */
  onBroken: () => void;
}

/**
 * Sends frames, then a close, to the remote end of a bridged socket in order, with at most
 * `windowBytes` unacknowledged. Frames beyond the window wait here; a full window asks the local
 * socket to pause, so a fast sender is held back end to end instead of growing memory.
 */
export class FramePump {
  readonly #remote: RpcStub<WebSocketEndApi>;
  readonly #options: FramePumpOptions;
  readonly #window: number;
  #queue: QueueItem[] = [];
  #queuedBytes = 0;
  #inFlight = 0;
  #paused = false;
  #closing = false;
  #done = false;

  constructor(remote: RpcStub<WebSocketEndApi>, options: FramePumpOptions) {
    this.#remote = remote;
    this.#options = options;
    this.#window = options.windowBytes ?? WEBSOCKET_WINDOW_BYTES;
  }

  /** Bytes sent but not yet acknowledged (for tests and benchmarks). */
  get inFlightBytes(): number {
    return this.#inFlight;
  }

  send(frame: Frame): void {
    if (this.#closing) return;
    const size = typeof frame === "string" ? frame.length : frame.byteLength;
    this.#queue.push({ frame, size });
    this.#queuedBytes += size;
    this.#drain();
    if (this.#queuedBytes > (this.#options.maxQueuedBytes ?? MAX_QUEUED_BYTES)) {
      this.#options.onOverflow();
    } else if (this.#queue.length > 0 && !this.#paused) {
      this.#paused = true;
      this.#options.onPause?.();
    }
  }

  /** Queues the close behind every frame already queued; later frames are dropped. */
  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#queue.push({ close: [code, reason] });
    this.#drain();
  }

  #drain(): void {
    while (this.#queue.length > 0 && !this.#done) {
      const item = this.#queue[0]!;
      if ("close" in item) {
        this.#queue.shift();
        this.#done = true;
        this.#remote.close(...item.close).then(
          () => this.#remote[Symbol.dispose](),
          () => this.#remote[Symbol.dispose](),
        );
        return;
      }
      if (this.#inFlight > 0 && this.#inFlight + item.size > this.#window) break;
      this.#queue.shift();
      this.#queuedBytes -= item.size;
      this.#inFlight += item.size;
      this.#remote.send(item.frame).then(
        () => {
          this.#inFlight -= item.size;
          this.#drain();
        },
        () => this.#options.onBroken(),
      );
    }
    if (this.#paused && this.#queue.length === 0) {
      this.#paused = false;
      this.#options.onResume?.();
    }
  }
}

/**
 * This side's end of a bridged socket, handed to the other side of the tunnel as a stub. It may
 * exist before its socket does (the Worker accepts the visitor only once the origin said yes);
 * frames that arrive earlier wait for {@link attach}.
 */
export class WebSocketEnd extends RpcTarget implements WebSocketEndApi {
  #socket: TunnelWebSocket | undefined;
  #early: { frame: Frame; sent: () => void }[] = [];
  #earlyClose: [number, string] | undefined;
  #abandoned = false;
  readonly #handshake = Promise.withResolvers<boolean>();

  /** No socket will be attached: whoever waited for it is gone. Frames sent to it are dropped. */
  abandon(): void {
    if (this.#socket) return;
    this.#abandoned = true;
    this.#handshake.resolve(true);
    for (const { sent } of this.#early) sent();
    this.#early = [];
  }

  abandoned(): Promise<boolean> {
    return this.#handshake.promise;
  }

  attach(socket: TunnelWebSocket): void {
    this.#socket = socket;
    this.#handshake.resolve(false);
    for (const { frame, sent } of this.#early) {
      safeSend(socket, frame);
      sent();
    }
    this.#early = [];
    if (this.#earlyClose) closeSocket(socket, ...this.#earlyClose);
  }

  send(frame: Frame): Promise<void> | void {
    const socket = this.#socket;
    if (this.#abandoned) return;
    if (!socket) return new Promise((sent) => this.#early.push({ frame, sent }));
    safeSend(socket, frame);
    return roomIn(socket);
  }

  close(code: number, reason: string): void {
    if (this.#socket) closeSocket(this.#socket, code, reason);
    else this.#earlyClose = [code, reason];
  }
}

/**
 * Bridges a local socket to the remote end of the tunnel: local frames and the local close go to
 * `remote`; when the tunnel breaks the local socket closes with {@link WebSocketCloseCode.tunnelGone}.
 * Frames from the remote side reach the local socket through `end` (already attached).
 */
export function bridgeWebSocket(socket: TunnelWebSocket, remote: RpcStub<WebSocketEndApi>): FramePump {
  socket.binaryType = "arraybuffer";
  const pump = new FramePump(remote, {
    onPause: () => socket.pause?.(),
    onResume: () => socket.resume?.(),
    onOverflow: () => endBoth(WebSocketCloseCode.overloaded, "captun: sender outran the receiver"),
    onBroken: () => closeSocket(socket, WebSocketCloseCode.tunnelGone, "captun tunnel closed"),
  });
  function endBoth(code: number, reason: string) {
    closeSocket(socket, code, reason);
    pump.close(code, reason);
  }
  remote.onRpcBroken(() => closeSocket(socket, WebSocketCloseCode.tunnelGone, "captun tunnel closed"));
  socket.addEventListener("message", (event) => {
    const frame = toFrame(event.data);
    const size = typeof frame === "string" ? frame.length : frame.byteLength;
    if (size > MAX_WEBSOCKET_MESSAGE_BYTES) endBoth(WebSocketCloseCode.tooBig, "captun: message too big");
    else pump.send(frame);
  });
  socket.addEventListener("close", (event) => pump.close(event.code, event.reason));
  // Errors are followed by a close event, which is what the remote side needs to hear about.
  socket.addEventListener("error", () => {});
  socket.resume?.();
  return pump;
}

function toFrame(data: unknown): Frame {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`unexpected WebSocket message type ${Object.prototype.toString.call(data)}`);
}

function safeSend(socket: TunnelWebSocket, frame: Frame): void {
  // workerd's half of a WebSocketPair may still say CONNECTING while its 101 is on the way; it
  // queues what is sent meanwhile.
  if (socket.readyState > OPEN) return;
  try {
    socket.send(frame);
  } catch {
    // Closed between the check and the send: the close event tells the other side.
  }
}

/** Resolves once the socket can take more, polling `bufferedAmount` only while it is over the mark. */
function roomIn(socket: TunnelWebSocket): Promise<void> | undefined {
  const buffered = () => (socket.readyState === OPEN ? (socket.bufferedAmount ?? 0) : 0);
  if (buffered() <= SOCKET_HIGH_WATER_BYTES) return undefined;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (buffered() > SOCKET_HIGH_WATER_BYTES) return;
      clearInterval(timer);
      resolve();
    }, 2);
  });
}

/** Close codes an endpoint may send; 1005/1006/1015 only ever describe what happened. */
function isSendableCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

export function closeSocket(socket: TunnelWebSocket, code: number, reason: string): void {
  if (socket.readyState > OPEN) return;
  try {
    if (isSendableCode(code)) socket.close(code, truncateReason(reason));
    else socket.close();
  } catch {
    // Already closing: the close handshake under way is the one that counts.
  }
}

/** Close reasons are limited to 123 bytes of UTF-8. */
function truncateReason(reason: string): string {
  const bytes = new TextEncoder().encode(reason);
  if (bytes.byteLength <= 123) return reason;
  return new TextDecoder().decode(bytes.subarray(0, 120)).replace(/\uFFFD$/, "");
}
