import type { RpcStub } from "capnweb";
import { errorResponse } from "./errors.ts";
import { fromWireRequest, fromWireResponse, toWireRequest, toWireResponse } from "./http.ts";
import type { TunnelClientApi, WebSocketEndApi, WireRequest, WireWebSocketResult } from "./protocol.ts";
import { handshakeResponseHeaders, type TunnelWebSocket, type WebSocketConnector } from "./websocket.ts";
import { bridgeWebSocket, closeSocket, WebSocketEnd } from "./websocket-bridge.ts";

type WorkerdSocket = TunnelWebSocket & { accept(): void };
type WebSocketPairClass = new () => Record<0 | 1, WorkerdSocket>;

/** Close code for an origin socket nobody waits for any more (RFC 6455 "going away"). */
const GOING_AWAY = 1001;
const ABANDONED_REASON = "captun: the visitor left before the upgrade finished";

/**
 * Server side (workerd): asks the client to open the WebSocket at its origin, and only when the
 * origin accepted does it accept the visitor's upgrade (101 with the agreed subprotocol and the
 * origin's end-to-end headers). A refusal comes back as the origin's own HTTP answer.
 *
 * When `signal` aborts first (the visitor left, the caller gave up), this rejects with its reason
 * and the client is told to stop: it aborts the origin handshake, or closes the origin socket
 * that opened too late.
 */
export async function acceptVisitorWebSocket(
  client: RpcStub<TunnelClientApi>,
  request: Request,
  signal: AbortSignal | null | undefined = request.signal,
): Promise<Response> {
  const Pair = (globalThis as { WebSocketPair?: WebSocketPairClass }).WebSocketPair;
  if (!Pair) throw new TypeError("AcceptedTunnel.connectWebSocket() runs in workerd (it needs WebSocketPair)");
  signal?.throwIfAborted();
  const end = new WebSocketEnd();
  const result = await untilAbandoned(client.connectWebSocket(await toWireRequest(request), end), end, signal);
  if (!result.accepted) {
    end.abandon();
    // A refusal's body may still be streaming: leave that result to the session.
    return fromWireResponse(result.response);
  }
  const peer = (result.peer as unknown as RpcStub<WebSocketEndApi>).dup();
  (result as Partial<Disposable>)[Symbol.dispose]?.();
  const pair = new Pair();
  const socket = pair[1];
  socket.accept();
  bridgeWebSocket(socket, peer);
  end.attach(socket);
  const headers = new Headers(handshakeResponseHeaders(result.headers));
  if (result.protocol) headers.set("sec-websocket-protocol", result.protocol);
  return new Response(null, { status: 101, webSocket: pair[0], headers } as ResponseInit);
}

/** Settles like `call`, or rejects as soon as `signal` aborts; then the late answer is discarded. */
function untilAbandoned(
  call: PromiseLike<WireWebSocketResult>,
  end: WebSocketEnd,
  signal: AbortSignal | null | undefined,
): Promise<WireWebSocketResult> {
  if (!signal) return Promise.resolve(call);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      end.abandon();
      reject(signal.reason);
      Promise.resolve(call).then(discardResult, () => {
        // The caller has its answer (the abort); a late failure changes nothing.
      });
    };
    signal.addEventListener("abort", onAbort, { once: true });
    Promise.resolve(call).then(
      (result) => {
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Closes the origin socket of an answer nobody waits for (a client that ignored `abandoned()`). */
function discardResult(result: WireWebSocketResult): void {
  if (result.accepted) {
    const peer = (result.peer as unknown as RpcStub<WebSocketEndApi>).dup();
    const release = () => peer[Symbol.dispose]();
    Promise.resolve(peer.close(GOING_AWAY, ABANDONED_REASON)).then(release, release);
  } else if (result.response.body instanceof ReadableStream) {
    void result.response.body.cancel().catch(() => {});
  }
  (result as Partial<Disposable>)[Symbol.dispose]?.();
}

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
