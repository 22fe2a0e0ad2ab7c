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

/** Path, under the tunnel URL, where clients open their WebSocket. */
export const CONNECT_PATH = "/__captun-connect";

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
} as const;

/** Bodies up to this size travel inline in the RPC message instead of as a stream. */
export const INLINE_BODY_LIMIT = 64 * 1024;

/** Stream chunks are split to at most this many bytes per WebSocket message. */
export const MAX_CHUNK_BYTES = 256 * 1024;

/** A body: absent, inline bytes, or a stream of chunks. */
export type WireBody = Uint8Array | ReadableStream<Uint8Array> | null;

/** A request as it crosses the tunnel. `url` is the full URL the client should see. */
export interface WireRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body: WireBody;
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
}

export interface TunnelClientApi {
  fetch(request: WireRequest): Promise<WireResponse>;
}

export interface TunnelServerApi {
  ready(): TunnelInfo;
}
