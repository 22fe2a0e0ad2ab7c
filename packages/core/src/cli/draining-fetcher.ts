import { observeBody } from "../_body-tap.ts";
import { errorResponse } from "../error-response.ts";
import type { Fetcher } from "../protocol.ts";
import type { AcceptedWebSocket, TunnelWebSocket, WebSocketConnector } from "../websocket.ts";
import { closeSocket } from "../websocket-bridge.ts";

/** RFC 6455 "going away": what a visitor's WebSocket hears when the tunnel shuts down. */
const GOING_AWAY = 1001;
const GOING_AWAY_REASON = "captun: the tunnel is shutting down";

/** A {@link Fetcher} that can stop taking new requests while the ones in flight finish. */
export interface DrainingFetcher {
  readonly fetch: Fetcher;
  /** Requests whose response body has not ended yet (open WebSockets are not counted). */
  readonly inFlight: number;
  /** From now on, answer new requests and upgrades with 503; resolves once no request is in flight. */
  drain(): Promise<void>;
  /** Closes every open WebSocket with 1001 (going away), visitor and origin side. */
  closeWebSockets(): void;
  /**
   * Ends every response body still streaming with an error saying why, so the visitor sees a
   * broken body (never a clean short one) and the server logs that reason instead of a bare
   * "disposed without calling close()".
   */
  abortInFlight(reason: string): void;
}

/**
 * Wraps `inner` so a shutdown can let in-flight requests finish, bodies included. WebSockets pass
 * through `inner.connectWebSocket`; they stay open while requests drain and get a 1001 close from
 * {@link DrainingFetcher.closeWebSockets} (a socket such as a dev server's HMR never ends on its
 * own, so waiting for it would make every Ctrl-C take the whole grace period).
 */
export function createDrainingFetcher(inner: Fetcher): DrainingFetcher {
  let inFlight = 0;
  let draining = false;
  let idle: (() => void) | undefined;
  const bodies = new Set<(error: Error) => void>();
  const finished = () => {
    inFlight--;
    if (inFlight === 0) idle?.();
  };
  const fetch: Fetcher = async (request) => {
    if (draining) {
      return errorResponse(request, 503, "tunnel-offline", "This tunnel is shutting down.", { "retry-after": "5" });
    }
    inFlight++;
    let response: Response;
    try {
      response = await inner(request);
    } catch (error) {
      finished();
      throw error;
    }
    if (!response.body) {
      finished();
      return response;
    }
    return new Response(onBodyEnd(response.body, finished, bodies), response);
  };
  const sockets = new Set<GoingAwaySocket>();
  const innerConnect = inner.connectWebSocket;
  if (innerConnect) {
    const connectWebSocket: WebSocketConnector = async (request) => {
      if (draining) {
        return errorResponse(request, 503, "tunnel-offline", "This tunnel is shutting down.", { "retry-after": "5" });
      }
      const outcome = await innerConnect(request);
      if (outcome instanceof Response) return outcome;
      const accepted: AcceptedWebSocket = "webSocket" in outcome ? outcome : { webSocket: outcome };
      const socket = goingAwaySocket(accepted.webSocket, () => sockets.delete(socket));
      sockets.add(socket);
      if (draining) socket.goAway();
      return { ...accepted, webSocket: socket };
    };
    Object.assign(fetch, { connectWebSocket });
  }
  return {
    fetch,
    get inFlight() {
      return inFlight;
    },
    drain() {
      draining = true;
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idle = resolve;
      });
    },
    closeWebSockets() {
      for (const socket of sockets) socket.goAway();
    },
    abortInFlight(reason) {
      for (const abort of bodies) abort(new Error(reason));
    },
  };
}

interface GoingAwaySocket extends TunnelWebSocket {
  /** Tells the bridge (so the visitor) the socket closed with 1001 at once, and closes the origin's. */
  goAway(): void;
}

/**
 * Wraps an origin socket so a shutdown can close it for the visitor without waiting for the
 * origin to answer the close handshake: the bridge's close listeners hear 1001 right away.
 */
function goingAwaySocket(socket: TunnelWebSocket, onClosed: () => void): GoingAwaySocket {
  const closeListeners: ((event: { code: number; reason: string }) => void)[] = [];
  let closed = false;
  const emitClose = (event: { code: number; reason: string }) => {
    if (closed) return;
    closed = true;
    onClosed();
    for (const listener of closeListeners) listener(event);
  };
  socket.addEventListener("close", (event) => emitClose({ code: event.code, reason: event.reason }));
  return {
    get protocol() {
      return socket.protocol;
    },
    get readyState() {
      return socket.readyState;
    },
    get binaryType() {
      return socket.binaryType;
    },
    set binaryType(value) {
      socket.binaryType = value;
    },
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    send: (data) => socket.send(data),
    close: (code, reason) => socket.close(code, reason),
    addEventListener: ((type: string, listener: (event: { code: number; reason: string }) => void) => {
      if (type === "close") closeListeners.push(listener);
      else
        (socket.addEventListener as (type: string, listener: (event: unknown) => void) => void)(type, listener as (event: unknown) => void);
    }) as TunnelWebSocket["addEventListener"],
    ...(socket.pause ? { pause: () => socket.pause?.() } : {}),
    ...(socket.resume ? { resume: () => socket.resume?.() } : {}),
    goAway() {
      // A paused socket would never read the origin's answering close frame.
      socket.resume?.();
      closeSocket(socket, GOING_AWAY, GOING_AWAY_REASON);
      emitClose({ code: GOING_AWAY, reason: GOING_AWAY_REASON });
    },
  };
}

/**
 * `body`, with `onEnd` called once when it ends, fails or is cancelled. While it streams,
 * `aborts` holds a function that errors it. An observer, not a stage: an origin's body (and one
 * the inspector already watches) is handed on as it is (`_body-tap.ts`).
 */
function onBodyEnd(body: ReadableStream<Uint8Array>, onEnd: () => void, aborts: Set<(error: Error) => void>): ReadableStream<Uint8Array> {
  let abort: ((error: Error) => void) | undefined;
  const observed = observeBody(body, {
    onEnd(outcome) {
      if (abort) aborts.delete(abort);
      // Let the tunnel queue the end of this body before a waiting shutdown closes the socket.
      if (outcome === "complete") setImmediate(onEnd);
      else onEnd();
    },
  });
  abort = observed.abort;
  aborts.add(abort);
  return observed.body;
}
