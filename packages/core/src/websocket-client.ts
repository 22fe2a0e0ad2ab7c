// The client's side of a bridged WebSocket: runs the connector for a visitor's upgrade and bridges
// the origin socket it opens to the visitor's end in the Worker (docs/websockets.md).
import type { RpcStub } from "capnweb";
import { errorResponse } from "./error-response.ts";
import { fromWireRequest, toWireResponse } from "./http.ts";
import type { WebSocketEndApi, WireRequest, WireWebSocketResult } from "./protocol.ts";
import { handshakeResponseHeaders, type WebSocketConnector } from "./websocket.ts";
import { ABANDONED_REASON, bridgeWebSocket, closeSocket, GOING_AWAY, WebSocketEnd } from "./websocket-bridge.ts";

/**
 * Client side: runs the user's {@link WebSocketConnector} for a visitor's upgrade and bridges the
 * socket it opens to the visitor's end, `peer`. While the connector runs, the visitor's end says
 * whether anyone still waits (`abandoned()`); if not, the request's signal aborts and a socket
 * that opens anyway is closed instead of bridged.
 */
export async function connectOriginWebSocket(
  connector: WebSocketConnector | undefined,
  wire: WireRequest,
  peer: RpcStub<WebSocketEndApi>,
): Promise<WireWebSocketResult> {
  const handshake = new AbortController();
  const request = new Request(fromWireRequest(wire), { signal: handshake.signal });
  if (!connector) {
    const refusal = errorResponse(
      request,
      501,
      "websocket-unsupported",
      "This tunnel's client does not accept WebSockets (give createCaptunTunnel a connectWebSocket handler).",
    );
    return { accepted: false, response: await toWireResponse(refusal, wire.method) };
  }
  const stopWatching = watchAbandonment(peer, handshake);
  let outcome: Awaited<ReturnType<WebSocketConnector>>;
  try {
    outcome = await connector(request);
  } finally {
    stopWatching();
  }
  if (outcome instanceof Response) return { accepted: false, response: await toWireResponse(outcome, wire.method) };
  const { webSocket, headers } = "webSocket" in outcome ? outcome : { webSocket: outcome, headers: undefined };
  if (handshake.signal.aborted) {
    // A paused socket would never read the origin's answering close frame.
    webSocket.resume?.();
    closeSocket(webSocket, GOING_AWAY, ABANDONED_REASON);
    // Nobody reads this answer: the server side stopped waiting (nginx's 499, "client closed request").
    return { accepted: false, response: await toWireResponse(new Response(null, { status: 499 }), wire.method) };
  }
  const end = new WebSocketEnd();
  // The peer stub in our params is released when this call returns; the bridge keeps a duplicate.
  bridgeWebSocket(webSocket, peer.dup());
  end.attach(webSocket);
  return { accepted: true, protocol: webSocket.protocol ?? "", headers: handshakeResponseHeaders(headers), peer: end };
}

/** Aborts `handshake` when the visitor's end gives up or the tunnel breaks, until stopped. */
function watchAbandonment(peer: RpcStub<WebSocketEndApi>, handshake: AbortController): () => void {
  const watcher = peer.dup();
  let watching = true;
  const abort = (why: string) => {
    if (watching) handshake.abort(new DOMException(why, "AbortError"));
  };
  watcher.onRpcBroken(() => abort("the captun tunnel closed during the WebSocket handshake"));
  Promise.resolve(watcher.abandoned()).then(
    (gone) => {
      if (gone) abort("the visitor left before the WebSocket handshake finished");
    },
    () => {
      // A server from before `abandoned()` existed: it cannot tell, so the handshake just runs on.
    },
  );
  return () => {
    watching = false;
    watcher[Symbol.dispose]();
  };
}
