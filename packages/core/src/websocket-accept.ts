import type { RpcStub } from "capnweb";
import { errorResponse } from "./errors.ts";
import { fromWireRequest, fromWireResponse, toWireRequest, toWireResponse } from "./http.ts";
import type { TunnelClientApi, WebSocketEndApi, WireRequest, WireWebSocketResult } from "./protocol.ts";
import type { TunnelWebSocket, WebSocketConnector } from "./websocket.ts";
import { bridgeWebSocket, WebSocketEnd } from "./websocket-bridge.ts";

type WorkerdSocket = TunnelWebSocket & { accept(): void };
type WebSocketPairClass = new () => Record<0 | 1, WorkerdSocket>;

/**
 * Server side (workerd): asks the client to open the WebSocket at its origin, and only when the
 * origin accepted does it accept the visitor's upgrade (101 with the agreed subprotocol). A refusal
 * comes back as the origin's own HTTP answer.
 */
export async function acceptVisitorWebSocket(client: RpcStub<TunnelClientApi>, request: Request): Promise<Response> {
  const Pair = (globalThis as { WebSocketPair?: WebSocketPairClass }).WebSocketPair;
  if (!Pair) throw new TypeError("AcceptedTunnel.connectWebSocket() runs in workerd (it needs WebSocketPair)");
  const end = new WebSocketEnd();
  const result = await client.connectWebSocket(await toWireRequest(request), end);
  // A refusal's body may still be streaming: leave that result to the session.
  if (!result.accepted) return fromWireResponse(result.response);
  const peer = (result.peer as unknown as RpcStub<WebSocketEndApi>).dup();
  (result as Partial<Disposable>)[Symbol.dispose]?.();
  const pair = new Pair();
  const socket = pair[1];
  socket.accept();
  bridgeWebSocket(socket, peer);
  end.attach(socket);
  const headers = new Headers();
  if (result.protocol) headers.set("sec-websocket-protocol", result.protocol);
  return new Response(null, { status: 101, webSocket: pair[0], headers } as ResponseInit);
}

/**
 * Client side: runs the user's {@link WebSocketConnector} for a visitor's upgrade and bridges the
 * socket it opens to the visitor's end, `peer`.
 */
export async function connectOriginWebSocket(
  connector: WebSocketConnector | undefined,
  wire: WireRequest,
  peer: RpcStub<WebSocketEndApi>,
): Promise<WireWebSocketResult> {
  const request = fromWireRequest(wire);
  if (!connector) {
    const refusal = errorResponse(
      request,
      501,
      "websocket-unsupported",
      "This tunnel's client does not accept WebSockets (give createCaptunTunnel a connectWebSocket handler).",
    );
    return { accepted: false, response: await toWireResponse(refusal, wire.method) };
  }
  const outcome = await connector(request);
  if (outcome instanceof Response) return { accepted: false, response: await toWireResponse(outcome, wire.method) };
  const end = new WebSocketEnd();
  // The peer stub in our params is released when this call returns; the bridge keeps a duplicate.
  bridgeWebSocket(outcome, peer.dup());
  end.attach(outcome);
  return { accepted: true, protocol: outcome.protocol ?? "", peer: end };
}
