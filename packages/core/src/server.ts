import { RpcSession, type RpcStub, RpcTarget } from "capnweb";
import { untilAborted } from "./_abortable.ts";
import { startHeartbeat } from "./_heartbeat.ts";
import { type FramedBody, isFramedBody } from "./body-frames.ts";
import { type GenerationServerApi, isGeneration } from "./change-generation.ts";
import { fromWireResponse, toWireRequest } from "./http.ts";
import {
  BODY_FRAMES_HEADER,
  CloseCode,
  CONNECT_PATH,
  PROTOCOL_VERSION,
  type TunnelClientApi,
  type TunnelInfo,
  type TunnelServerApi,
  type WireResponse,
} from "./protocol.ts";
import { type MessageSocket, type SocketClose, WebSocketTransport } from "./transport.ts";
import { acceptVisitorWebSocket } from "./websocket-visitor.ts";

/** The server side of one connected tunnel. */
export interface AcceptedTunnel {
  /**
   * Sends a request down the tunnel and resolves with the client's response (body streamed).
   * Aborting `request.signal` rejects it with the signal's reason and cancels the client's late
   * answer, so its stream gives back its flow-control window and the origin request ends.
   */
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
  /** Requests sent down this tunnel whose answer (body included) has not ended yet. */
  readonly inFlight: number;
  /** Resolves once nothing is in flight (at once when nothing is). */
  idle(): Promise<void>;
  /** The client's latest change generation (`changed()`); `undefined` until it announces one (most tunnels never do). */
  readonly generation: number | undefined;
}

export interface AcceptTunnelOptions {
  /**
   * What `ready()` tells the client. `url` defaults to the connect URL without `/__captun-connect`.
   */
  info?: Partial<TunnelInfo>;
  /** Called once when the client's socket closes, for whatever reason. */
  onDisconnect?: (close: SocketClose) => void;
  /** Called when the client announces it is about to close (`leaving()`); route nothing new to it. */
  onLeaving?: () => void;
  /**
   * Pings the client after this long without a message from it, and ends the session with
   * `CloseCode.silent` after two intervals of silence; 0 turns heartbeats off.
   * @default HEARTBEAT_INTERVAL_MS (4 s: a frozen client is dropped within 10 s)
   */
  heartbeatMs?: number;
  /**
   * The client announced body frames (its connect carried `captun-body-frames: 1`): bodies then
   * travel as binary frames beside the session (body-frames.ts). `acceptCaptunTunnel` reads it
   * from the connect request.
   * @default false (bodies travel as Cap'n Web streams, which every client speaks)
   */
  bodyFrames?: boolean;
}

class ServerMain extends RpcTarget implements TunnelServerApi, GenerationServerApi {
  readonly #info: TunnelInfo;
  readonly #onLeaving: (() => void) | undefined;
  /** Private: only methods are the client's to call. */
  #generation: number | undefined;
  constructor(info: TunnelInfo, onLeaving: (() => void) | undefined) {
    super();
    this.#info = info;
    this.#onLeaving = onLeaving;
  }
  static generationOf(main: ServerMain): number | undefined {
    return main.#generation;
  }
  changed(generation: number): void {
    if (!isGeneration(generation)) throw new TypeError("a change generation is a non-negative integer");
    this.#generation = generation;
  }
  ready(): TunnelInfo {
    return this.#info;
  }
  ping(): void {}
  leaving(): void {
    this.#onLeaving?.();
  }
}

/** Starts the server side of a tunnel on a WebSocket that is already accepted or open. */
export function acceptCaptunTunnelFromSocket(socket: MessageSocket, options: AcceptTunnelOptions = {}): AcceptedTunnel {
  const transport = new WebSocketTransport(socket);
  const info: TunnelInfo = { url: options.info?.url ?? "", name: options.info?.name, protocol: options.info?.protocol ?? PROTOCOL_VERSION };
  const main = new ServerMain(info, options.onLeaving);
  const session = new RpcSession<TunnelClientApi>(transport, main);
  const client = session.getRemoteMain() as unknown as RpcStub<TunnelClientApi>;
  if (options.heartbeatMs !== 0) {
    const stop = startHeartbeat({
      intervalMs: options.heartbeatMs,
      lastHeard: () => transport.lastReceivedAt,
      ping: () => client.ping(),
      onSilent: () => transport.terminate(CloseCode.silent, "no heartbeat from the client"),
    });
    void transport.closed.then(stop);
  }
  if (options.onDisconnect) void transport.closed.then(options.onDisconnect);
  const requests = new InFlight();
  const frames = options.bodyFrames ? transport.frames : undefined;
  return {
    async fetch(request) {
      const done = requests.start();
      let wire: WireResponse;
      let called = false;
      let sentBody: FramedBody | undefined;
      let framedAnswer = false;
      let bodyEnded = () => {};
      try {
        const wireRequest = await toWireRequest(request, request.url, frames !== undefined);
        if (frames) {
          wireRequest.bodyFrames = true;
          if (wireRequest.body instanceof ReadableStream) wireRequest.body = sentBody = frames.send(wireRequest.body);
        }
        const call = Promise.resolve(client.fetch(wireRequest)).then((answer) => {
          // Turned into a stream at once, so that a late answer's body is cancelled like any other.
          if (frames && isFramedBody(answer.body)) {
            framedAnswer = true;
            answer.body = frames.receive(answer.body, () => bodyEnded());
          }
          return answer;
        });
        called = true;
        // An answer the signal abandoned counts until it arrived (untilAborted cancels its body).
        call.then(() => request.signal.aborted && done(), done);
        wire = await untilAborted(call, request.signal);
      } catch (error) {
        if (sentBody) frames?.abandon(sentBody, "sent");
        if (!called || !request.signal.aborted) done();
        throw error;
      }
      if (!(wire.body instanceof ReadableStream)) done();
      else if (framedAnswer) bodyEnded = done;
      else wire.body = onStreamEnd(wire.body, done);
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
    get inFlight() {
      return requests.count;
    },
    idle: () => requests.idle(),
    get generation() {
      return ServerMain.generationOf(main);
    },
  };
}

/** Counts requests from their call until their answer's body has ended, failed or been cancelled. */
class InFlight {
  count = 0;
  #waiters: (() => void)[] = [];
  start(): () => void {
    this.count++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.count--;
      if (this.count === 0) for (const wake of this.#waiters.splice(0)) wake();
    };
  }
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/**
 * Passes `body` through, calling `onEnd` once it ended, failed or was cancelled. A pipe, so every
 * outcome (the client's error, the visitor's cancel) still travels to the other end.
 */
function onStreamEnd(body: ReadableStream<Uint8Array>, onEnd: () => void): ReadableStream<Uint8Array> {
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  body.pipeTo(pipe.writable).then(onEnd, onEnd);
  return pipe.readable;
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
  const tunnel = acceptCaptunTunnelFromSocket(server as unknown as MessageSocket, {
    ...options,
    info: { ...options.info, url },
    bodyFrames: options.bodyFrames ?? request.headers.get(BODY_FRAMES_HEADER) === "1",
  });
  const response = new Response(null, { status: 101, webSocket: pair[0] } as ResponseInit);
  return { response, tunnel };
}

function tunnelUrlFromConnect(connectUrl: string): string {
  const url = new URL(connectUrl);
  url.search = "";
  if (url.pathname.endsWith(CONNECT_PATH)) url.pathname = url.pathname.slice(0, -CONNECT_PATH.length);
  return url.href.replace(/\/$/, "");
}
