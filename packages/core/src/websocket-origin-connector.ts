import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { Duplex } from "node:stream";
import { Readable } from "node:stream";
import WebSocket from "ws";
import { localhostConnectOptions } from "./_localhost.ts";
import {
  headersTooLargeResponse,
  isHeadersOverflow,
  ORIGIN_MAX_HEADER_SIZE,
  originBasePath,
  originRequestTarget,
} from "./_origin-target.ts";
import { stripHopByHop } from "./http.ts";
import { MAX_WEBSOCKET_MESSAGE_BYTES } from "./protocol.ts";
import { type AcceptedWebSocket, offeredSubprotocols, type TunnelWebSocket, type WebSocketConnector } from "./websocket.ts";

/** Handshake headers that belong to one WebSocket connection; `ws` writes its own. */
const HANDSHAKE_HEADERS = [
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-extensions",
  "sec-websocket-protocol",
  "sec-websocket-accept",
];

export interface OriginWebSocketOptions {
  /** Send the origin's own host in `Host` instead of the public one. @default false */
  rewriteHost?: boolean;
  /**
   * Opens the connection the handshake runs on, e.g. an in-memory one injected into a dev server.
   * It gets the handshake's request options, `headers` (with `X-Forwarded-For`) included.
   * @default a TCP connection to the origin (`localhost` tries 127.0.0.1 and ::1)
   */
  createConnection?: (options: { headers?: OutgoingHttpHeaders }) => Duplex;
  /** How long the origin may take to answer the upgrade. @default 30_000 */
  handshakeTimeoutMs?: number;
}

/**
 * A {@link WebSocketConnector} that opens each visitor's WebSocket against a local origin with
 * the `ws` package: same path and query, the visitor's headers (cookies, `Origin`) and offered
 * subprotocols. The origin's `101` headers go back with the socket; an origin that refuses the
 * upgrade has its HTTP answer passed back as it is. Aborting `request.signal` stops the handshake.
 */
export function createOriginWebSocketConnector(target: string | URL, options: OriginWebSocketOptions = {}): WebSocketConnector {
  const origin = new URL(target);
  const basePath = originBasePath(origin);
  return (request) => {
    if (request.signal.aborted) return Promise.reject(request.signal.reason);
    const url = upstreamWebSocketUrl(origin, originRequestTarget(basePath, request.url));
    const protocols = offeredSubprotocols(request.headers);
    const headers = stripHopByHop(new Headers(request.headers));
    for (const name of HANDSHAKE_HEADERS) headers.delete(name);
    if (options.rewriteHost) headers.set("host", origin.host);
    return new Promise<AcceptedWebSocket | Response>((resolve, reject) => {
      const socket = new WebSocket(url, protocols, {
        headers: Object.fromEntries(headers),
        ...localhostConnectOptions,
        perMessageDeflate: false,
        // One byte over our limit lets the bridge close with 1009 and a clear reason instead of ws.
        maxPayload: MAX_WEBSOCKET_MESSAGE_BYTES + 1,
        maxHeaderSize: ORIGIN_MAX_HEADER_SIZE,
        handshakeTimeout: options.handshakeTimeoutMs ?? 30_000,
        ...(options.createConnection ? { createConnection: options.createConnection as never } : {}),
      });
      const onAbort = () => socket.terminate();
      request.signal.addEventListener("abort", onAbort, { once: true });
      const settle = () => {
        request.signal.removeEventListener("abort", onAbort);
        socket.removeAllListeners("unexpected-response");
      };
      let handshakeHeaders: Headers | undefined;
      socket.once("upgrade", (res) => {
        handshakeHeaders = headersOf(res);
      });
      socket.once("open", () => {
        // Frames the origin sends right away must wait until the bridge listens (it resumes).
        socket.pause();
        settle();
        socket.removeAllListeners("error");
        resolve({ webSocket: socket as unknown as TunnelWebSocket, headers: handshakeHeaders });
      });
      socket.once("unexpected-response", (_req, res) => {
        settle();
        socket.on("error", () => {}); // the refusal is the answer; a late socket error changes nothing
        const answer = stripHopByHop(headersOf(res));
        const bodyless = [204, 205, 304].includes(res.statusCode ?? 0);
        if (bodyless) res.resume();
        resolve(
          new Response(bodyless ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
            status: res.statusCode ?? 502,
            statusText: res.statusMessage,
            headers: answer,
          }),
        );
      });
      socket.once("error", (error) => {
        settle();
        if (isHeadersOverflow(error)) resolve(headersTooLargeResponse(request));
        else reject(error);
      });
    });
  };
}

/**
 * The origin's WebSocket URL for a request target, built from parts: `ws` takes host and port from
 * the URL's own fields and sends `pathname + search` as the target, so a target like
 * `//other:3001/x` stays a path on the origin (_origin-target.ts).
 */
function upstreamWebSocketUrl(origin: URL, target: string): URL {
  const url = new URL(origin.origin);
  url.protocol = origin.protocol === "https:" ? "wss:" : "ws:";
  const query = target.indexOf("?");
  url.pathname = query === -1 ? target : target.slice(0, query);
  url.search = query === -1 ? "" : target.slice(query);
  if (url.host !== origin.host) throw new Error(`refusing a WebSocket target that leaves the origin: ${target}`);
  return url;
}

function headersOf(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}
