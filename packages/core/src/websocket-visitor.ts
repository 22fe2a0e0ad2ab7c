// The visitor's side of a bridged WebSocket, in the Worker: accepts the visitor's upgrade once the
// client's origin accepted, and bridges the two over the tunnel (docs/websockets.md).
import type { RpcStub } from "capnweb";
import { fromWireResponse, toWireRequest } from "./http.ts";
import type { TunnelClientApi, WebSocketEndApi, WireWebSocketResult } from "./protocol.ts";
import { handshakeResponseHeaders, type TunnelWebSocket } from "./websocket.ts";
import { ABANDONED_REASON, bridgeWebSocket, GOING_AWAY, WebSocketEnd } from "./websocket-bridge.ts";

type WorkerdSocket = TunnelWebSocket & { accept(): void };
type WebSocketPairClass = new () => Record<0 | 1, WorkerdSocket>;

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
