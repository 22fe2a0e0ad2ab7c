import { Readable } from "node:stream";
import { Agent, type Dispatcher } from "undici";
import { localhostConnectOptions } from "./_localhost.ts";
import { webStreamFromNode } from "./_node-body.ts";
import {
  headersTooLargeResponse,
  isHeadersOverflow,
  ORIGIN_MAX_HEADER_SIZE,
  originBasePath,
  originRequestTarget,
} from "./_origin-target.ts";
import { stripHopByHop } from "./http.ts";
import type { Fetcher } from "./protocol.ts";
import type { WebSocketConnector } from "./websocket.ts";
import { createOriginWebSocketConnector } from "./websocket-origin-connector.ts";

export interface OriginFetcherOptions {
  /**
   * Send the origin's own host in `Host` instead of the public one. Leave it off for dev servers
   * that check `Host` (they are told the public host instead).
   * @default false
   */
  rewriteHost?: boolean;
  /**
   * Where connections come from, e.g. one that injects them into a dev server's HTTP server
   * instead of opening a port. `close()` closes it.
   * @default an undici Agent that resolves `localhost` to 127.0.0.1 and ::1
   */
  dispatcher?: Dispatcher;
}

/**
 * A {@link Fetcher} that forwards to a local origin such as `http://localhost:3000`, byte for byte:
 * no decompression, no redirect following, streaming both ways. `localhost` reaches the origin
 * whether it listens on 127.0.0.1 or ::1.
 */
export function createOriginFetcher(
  target: string | URL,
  options: OriginFetcherOptions = {},
): Fetcher & { connectWebSocket: WebSocketConnector; close(): Promise<void> } {
  const origin = new URL(target);
  const basePath = originBasePath(origin);
  const agent =
    options.dispatcher ??
    new Agent({
      connect: { ...localhostConnectOptions, autoSelectFamily: true },
      keepAliveTimeout: 10_000,
      maxHeaderSize: ORIGIN_MAX_HEADER_SIZE,
    });
  const fetcher = async (request: Request): Promise<Response> => {
    const headers = stripHopByHop(new Headers(request.headers));
    if (options.rewriteHost) headers.set("host", origin.host);
    const hasBody = request.body !== null && request.method !== "GET" && request.method !== "HEAD";
    let answer: Dispatcher.ResponseData;
    try {
      // Origin and path travel apart: the visitor's path can never choose the host (_origin-target.ts).
      answer = await agent.request({
        origin: origin.origin,
        path: originRequestTarget(basePath, request.url),
        method: request.method as Dispatcher.HttpMethod,
        headers: toHeaderRecord(headers),
        body: hasBody ? Readable.fromWeb(request.body as never) : null,
        signal: request.signal,
      });
    } catch (error) {
      if (isHeadersOverflow(error)) return headersTooLargeResponse(request);
      throw error;
    }
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) responseHeaders.append(name, item);
    }
    stripHopByHop(responseHeaders);
    const nullBody = request.method === "HEAD" || [204, 205, 304].includes(answer.statusCode);
    if (nullBody) answer.body.resume();
    return new Response(nullBody ? null : webStreamFromNode(answer.body), {
      status: answer.statusCode,
      statusText: answer.statusText,
      headers: responseHeaders,
    });
  };
  // WebSocket upgrades go to the origin's WebSocket server (docs/websockets.md).
  const connectWebSocket = createOriginWebSocketConnector(target, { rewriteHost: options.rewriteHost });
  return Object.assign(fetcher, { connectWebSocket, close: () => agent.close() });
}

function toHeaderRecord(headers: Headers): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    const existing = record[name];
    if (existing === undefined) record[name] = value;
    else record[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return record;
}
