import { RpcSession, type RpcStub, RpcTarget } from "capnweb";
import { untilAborted } from "./_abortable.ts";
import { fromWireResponse, toWireRequest } from "./http.ts";
import { CONNECT_PATH, PROTOCOL_VERSION, type TunnelClientApi, type TunnelInfo, type TunnelServerApi } from "./protocol.ts";
import { type MessageSocket, type SocketClose, WebSocketTransport } from "./transport.ts";
import type { WebSocketConnector } from "./websocket.ts";
import { acceptVisitorWebSocket } from "./websocket-accept.ts";

/**
 * Anything that answers a Request with a Response, like the global `fetch`. It may also carry a
 * `connectWebSocket` handler for visitors' WebSocket upgrades (see docs/websockets.md).
 */
export type Fetcher = ((request: Request) => Response | Promise<Response>) & {
  /** Opens the WebSocket for a visitor's upgrade. @default undefined (upgrades are answered 501) */
  connectWebSocket?: WebSocketConnector;
};

/** The server side of one connected tunnel. */
export interface AcceptedTunnel {
  /** Sends a request down the tunnel and resolves with the client's response (body streamed). */
  fetch(request: Request): Promise<Response>;
  /**
   * Bridges a visitor's WebSocket upgrade request to the client (workerd only): a 101 response
   * carrying the visitor's socket, or the origin's HTTP answer when it refused the upgrade.
   * Aborting `request.signal` rejects it and makes the client drop the origin's socket.
   */
  connectWebSocket(request: Request): Promise<Response>;
  /** Ends the session with a WebSocket close code (see `CloseCode`). */
  close(code?: number, reason?: string): void;
  /** Resolves when the client is gone, with the socket's close code and reason. */
  readonly closed: Promise<SocketClose>;
}

export interface AcceptTunnelOptions {
  /**
   * What `ready()` tells the client. `url` defaults to the connect URL without `/__captun-connect`.
   */
  info?: Partial<TunnelInfo>;
  /** Called once when the client's socket closes, for whatever reason. */
  onDisconnect?: (close: SocketClose) => void;
}

class ServerMain extends RpcTarget implements TunnelServerApi {
  readonly #info: TunnelInfo;
  constructor(info: TunnelInfo) {
    super();
    this.#info = info;
  }
  ready(): TunnelInfo {
    return this.#info;
  }
}

/** Starts the server side of a tunnel on a WebSocket that is already accepted or open. */
export function acceptCaptunTunnelFromSocket(socket: MessageSocket, options: AcceptTunnelOptions = {}): AcceptedTunnel {
  const transport = new WebSocketTransport(socket);
  const info: TunnelInfo = { url: options.info?.url ?? "", name: options.info?.name, protocol: options.info?.protocol ?? PROTOCOL_VERSION };
  const session = new RpcSession<TunnelClientApi>(transport, new ServerMain(info));
  const client = session.getRemoteMain() as unknown as RpcStub<TunnelClientApi>;
  if (options.onDisconnect) void transport.closed.then(options.onDisconnect);
  return {
    async fetch(request) {
      const wire = await untilAborted(client.fetch(await toWireRequest(request)), request.signal);
      return fromWireResponse(wire);
    },
    connectWebSocket(request) {
      return acceptVisitorWebSocket(client, request);
    },
    close(code = 1000, reason = "") {
      try {
        socket.close(code, reason);
      } catch {
        // The socket is already closed; `closed` has fired or will.
      }
    },
    closed: transport.closed,
  };
}

/**
 * Accepts a tunnel connect inside a Worker or Durable Object: answer the request with `response`
 * and use `tunnel.fetch()` to reach the client. Requires workerd's `WebSocketPair`.
 */
export function acceptCaptunTunnel(request: Request, options: AcceptTunnelOptions = {}): { response: Response; tunnel: AcceptedTunnel } {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw new TypeError("acceptCaptunTunnel() needs a WebSocket upgrade request");
  }
  const Pair = (globalThis as { WebSocketPair?: new () => Record<0 | 1, WebSocket & { accept(): void }> }).WebSocketPair;
  if (!Pair) throw new TypeError("acceptCaptunTunnel() runs in workerd; elsewhere use acceptCaptunTunnelFromSocket()");
  const pair = new Pair();
  const server = pair[1];
  server.accept();
  const url = options.info?.url ?? tunnelUrlFromConnect(request.url);
  const tunnel = acceptCaptunTunnelFromSocket(server as unknown as MessageSocket, { ...options, info: { ...options.info, url } });
  const response = new Response(null, { status: 101, webSocket: pair[0] } as ResponseInit);
  return { response, tunnel };
}

function tunnelUrlFromConnect(connectUrl: string): string {
  const url = new URL(connectUrl);
  url.search = "";
  if (url.pathname.endsWith(CONNECT_PATH)) url.pathname = url.pathname.slice(0, -CONNECT_PATH.length);
  return url.href.replace(/\/$/, "");
}
