import { stripHopByHop } from "./http.ts";

/**
 * The WebSocket surface captun bridges: a subset of the DOM `WebSocket` that workerd's sockets,
 * the `ws` package's sockets and browsers' sockets all have. Runtime-neutral (no `node:` imports).
 */
export interface TunnelWebSocket {
  /** The subprotocol the other end agreed to (`""` when none). */
  readonly protocol: string;
  readonly readyState: number;
  /** captun sets it to `"arraybuffer"`. */
  binaryType: string;
  /**
   * Bytes queued by `send()` but not yet written. When it is a number, captun waits for it to fall
   * before taking more frames for this socket (workerd leaves it undefined: no backpressure there).
   */
  readonly bufferedAmount?: number;
  send(data: string | ArrayBuffer | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: "error", listener: (event: unknown) => void): void;
  /** Stops reading from the network (the `ws` package has it); captun calls it when the other side falls behind. */
  pause?(): void;
  /** Resumes reading after `pause()`. */
  resume?(): void;
}

/** An open socket plus the headers of the origin's `101` answer that the visitor should get too. */
export interface AcceptedWebSocket {
  webSocket: TunnelWebSocket;
  /**
   * Response headers of the handshake (`Set-Cookie`, `x-*`, …). Hop-by-hop and per-connection
   * handshake headers are dropped: each hop answers its own handshake.
   * @default none
   */
  headers?: HeadersInit;
}

/**
 * Opens a WebSocket for a visitor's upgrade request, on the client side of a tunnel.
 *
 * Resolve with the **open** socket (or an {@link AcceptedWebSocket} to pass on headers of the
 * origin's `101`) and captun bridges it to the visitor; or resolve with a `Response` to refuse the
 * upgrade — the visitor gets exactly that HTTP answer. A throw reaches the visitor as 502. Messages
 * the socket emits before captun listens are lost, so call `pause()` on it when it opens (the `ws`
 * package has it; origins often send a first frame at once): captun calls `resume()` once it listens.
 *
 * The request carries the visitor's headers (cookies, `Origin`, `Sec-WebSocket-Protocol` with the
 * subprotocols offered) without the hop-by-hop ones. `request.signal` aborts when nobody waits for
 * the socket any more: the visitor left, the Worker gave up (504), or the tunnel ended. A socket
 * that opens after that is closed by captun.
 */
export type WebSocketConnector = (request: Request) => Promise<TunnelWebSocket | AcceptedWebSocket | Response>;

/** Handshake answer headers that belong to one hop's connection, never passed on to the visitor. */
const PER_HOP_HANDSHAKE_HEADERS = [
  "sec-websocket-accept",
  "sec-websocket-extensions",
  "sec-websocket-protocol",
  "sec-websocket-key",
  "sec-websocket-version",
  "content-length",
];

/**
 * The end-to-end headers of an origin's `101` answer, as a list that keeps each `Set-Cookie`.
 * workerd writes its own `Upgrade`/`Connection`/`Sec-WebSocket-Accept` but would pass an
 * extensions header on unchecked, so those are dropped here; the subprotocol travels on its own.
 */
export function handshakeResponseHeaders(headers: HeadersInit | undefined): [string, string][] {
  if (!headers) return [];
  const kept = stripHopByHop(new Headers(headers));
  for (const name of PER_HOP_HANDSHAKE_HEADERS) kept.delete(name);
  return [...kept];
}

/** The subprotocols a visitor offered in `Sec-WebSocket-Protocol`, in order. */
export function offeredSubprotocols(headers: Headers): string[] {
  const header = headers.get("sec-websocket-protocol");
  if (!header) return [];
  return header
    .split(",")
    .map((token) => token.trim())
    .filter(Boolean);
}

/** True for a request asking to upgrade to a WebSocket. */
export function isWebSocketUpgrade(request: Request): boolean {
  return request.headers.get("upgrade")?.toLowerCase() === "websocket";
}
