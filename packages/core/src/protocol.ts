/**
 * The wire contract between a captun client and the server that accepts it, in one place.
 *
 * A client opens one WebSocket to `<tunnel url>/__captun-connect`, sending the connect secret as
 * `Authorization: Bearer <secret>`. Over that socket runs one Cap'n Web session using
 * {@link ./transport.ts}'s framing (JSON text frames, or binary frames when a message carries
 * bytes). Each side exposes a main object:
 *
 * - the client exposes {@link TunnelClientApi}: the server calls `fetch` once per public request;
 * - the server exposes {@link TunnelServerApi}: the client calls `ready()` once, and the tunnel
 *   counts as open only when that call returns.
 *
 * The server ends a session with one of {@link CloseCode}'s WebSocket close codes so that the
 * client knows whether to reconnect.
 */

import type { FramedBody } from "./body-frames.ts";
import type { WebSocketConnector } from "./websocket.ts";

/** Path, under the tunnel URL, where clients open their WebSocket. */
export const CONNECT_PATH = "/__captun-connect";

/**
 * Version of this contract. Bump it on any change an older peer would misread; the server refuses
 * a client of another version at connect time (426 `protocol-mismatch`), and the client checks the
 * server's in `ready()`. A peer that sends none speaks version 1.
 */
export const PROTOCOL_VERSION = 1;

/** Request header on the connect carrying the client's {@link PROTOCOL_VERSION}. */
export const PROTOCOL_HEADER = "captun-protocol";

/**
 * Request header on the connect by which a client announces it speaks body frames
 * (body-frames.ts). A server that does too then sends request bodies as frames and marks each
 * request {@link WireRequest.bodyFrames}, so the client answers with framed bodies; with a peer
 * that announces nothing, bodies stay Cap'n Web streams. Not a {@link PROTOCOL_VERSION} bump: old
 * and new peers keep working together.
 */
export const BODY_FRAMES_HEADER = "captun-body-frames";

/** Response header naming what went wrong, on every error captun itself produces. */
export const ERROR_HEADER = "x-captun-error";

/** WebSocket close codes the server uses to end a session. */
export const CloseCode = {
  /** A newer client took over this tunnel name. Do not reconnect. */
  replaced: 4001,
  /** The server is shutting down or the client asked to close. Reconnecting is fine. */
  goingAway: 1001,
  /** The client closed the tunnel on purpose. */
  normal: 1000,
  /** The peer answered no heartbeat for too long (frozen, asleep, or a half-open link). Reconnecting is fine. */
  silent: 4002,
} as const;

/**
 * Each side pings the other when it has heard nothing for this long, and counts the peer as gone
 * once it has heard nothing for two intervals: checked every half interval, a dead peer is noticed
 * within 2.5 × 4 s = 10 s. A session that receives anything sends no pings at all.
 */
export const HEARTBEAT_INTERVAL_MS = 4_000;

/** The Worker's request body limit when `MAX_BODY_BYTES` is not set: Cloudflare's Free and Pro plans' own cap. */
export const DEFAULT_MAX_BODY_BYTES = 100_000_000;

/** Bodies up to this size travel inline in the RPC message instead of as a stream. */
export const INLINE_BODY_LIMIT = 64 * 1024;

/** Stream chunks are split to at most this many bytes per WebSocket message. */
export const MAX_CHUNK_BYTES = 256 * 1024;

/** A body: absent, inline bytes, a stream of chunks, or body frames (only between peers that announced them). */
export type WireBody = Uint8Array | ReadableStream<Uint8Array> | FramedBody | null;

/**
 * Anything that answers a Request with a Response, like the global `fetch`. It may also carry a
 * `connectWebSocket` handler for visitors' WebSocket upgrades (see docs/websockets.md).
 */
export type Fetcher = ((request: Request) => Response | Promise<Response>) & {
  /** Opens the WebSocket for a visitor's upgrade. @default undefined (upgrades are answered 501) */
  connectWebSocket?: WebSocketConnector;
};

/** A request as it crosses the tunnel. `url` is the full URL the client should see. */
export interface WireRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body: WireBody;
  /** Set by a server that speaks body frames: the client may answer with a {@link FramedBody}. */
  bodyFrames?: true;
}

/** A response as it crosses the tunnel. */
export interface WireResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: WireBody;
}

/** What the server learns about the tunnel it accepted, returned by `ready()`. */
export interface TunnelInfo {
  /** The public URL visitors use. */
  url: string;
  /** The tunnel name, when the server routes by name. */
  name: string | undefined;
  /** The server's {@link PROTOCOL_VERSION}; servers before it existed omit it (version 1). */
  protocol?: number;
}

/**
 * One end of a bridged WebSocket, exposed to the other side of the tunnel as a Cap'n Web stub.
 * Each side calls the other's `send` in frame order and keeps at most
 * {@link WEBSOCKET_WINDOW_BYTES} unacknowledged: `send` resolves once the frame is handed to the
 * real socket and that socket has room for more, which is the sender's credit.
 */
export interface WebSocketEndApi {
  send(frame: string | Uint8Array): Promise<void> | void;
  /** Closes the real socket with this code and reason (after every frame sent before it). */
  close(code: number, reason: string): void;
  /**
   * Called by the client on the visitor's end while its origin handshake runs: resolves `true` as
   * soon as the visitor side gave up on the upgrade (visitor gone, 504), `false` once its socket
   * is attached. The client then stops the handshake or closes the origin socket.
   */
  abandoned(): Promise<boolean>;
}

/**
 * The client's answer to `connectWebSocket`: its end of the socket, the agreed subprotocol and the
 * origin's end-to-end `101` headers (older clients omit them); or the origin's refusal.
 */
export type WireWebSocketResult =
  | { accepted: true; protocol: string; headers?: [string, string][]; peer: WebSocketEndApi }
  | { accepted: false; response: WireResponse };

/** Unacknowledged bytes one bridged WebSocket may have in flight in each direction. */
export const WEBSOCKET_WINDOW_BYTES = 1024 * 1024;

/** Largest WebSocket message bridged; bigger ones close that socket with 1009 (the tunnel's own limit is 32 MiB). */
export const MAX_WEBSOCKET_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Close codes a bridged WebSocket gets when captun, not the other end, ends it. */
export const WebSocketCloseCode = {
  /** The other side of the tunnel is gone (client disconnected, or the server dropped it). */
  tunnelGone: 1014,
  /** A message was over {@link MAX_WEBSOCKET_MESSAGE_BYTES}. */
  tooBig: 1009,
  /** The sender outran the receiver by more than the buffer captun keeps for a socket it cannot pause. */
  overloaded: 1013,
} as const;

export interface TunnelClientApi {
  fetch(request: WireRequest): Promise<WireResponse>;
  /** Opens a WebSocket to the origin for a visitor's upgrade request; `peer` is the visitor's end. */
  connectWebSocket(request: WireRequest, peer: WebSocketEndApi): Promise<WireWebSocketResult>;
  /**
   * Heartbeat from the server; answers at once. Clients before heartbeats lack it: their error
   * answer proves them alive just as well.
   */
  ping(): void;
}

export interface TunnelServerApi {
  ready(): TunnelInfo;
  /** Heartbeat from the client; older servers answer it with an error, which is as good. */
  ping(): void;
  /**
   * The client is about to close (a restart, Ctrl-C): the server routes no new request to it (it
   * holds them for a successor under the same name) while the requests in flight finish. The
   * client closes the socket itself once they have.
   */
  leaving(): void;
}
