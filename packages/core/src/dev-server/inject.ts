// Decision 1 in DESIGN.md: a tunneled request reaches the dev server as a real HTTP/1.1
// connection that never touches a port. The server side of an in-memory duplex pair is handed to
// the server's own `connection` listener, so upgrades, streaming and cancellation behave exactly
// as they do for a browser on localhost.
import type { OutgoingHttpHeaders, Server } from "node:http";
import { type Duplex, duplexPair } from "node:stream";
import { Agent, type Dispatcher } from "undici";
import { ORIGIN_MAX_HEADER_SIZE } from "../_origin-target.ts";
import { CaptunError } from "../errors.ts";
import { addressFromPoolHostname, LOCAL_VISITOR_ADDRESS, visitorAddressFromHeaders, visitorPoolOrigin } from "./visitor-address.ts";

/** Returns the dev server's HTTP server right now (frameworks replace it on restart), if any. */
export type HttpServerSource = () => Server | undefined;

/** The error a dispatch fails with while no dev server is there to take the connection. */
export class CaptunDevServerGoneError extends CaptunError {
  override name = "CaptunDevServerGoneError";
}

/** Opens one in-memory connection into the dev server and returns the client end. */
export function injectConnection(source: HttpServerSource, remoteAddress = LOCAL_VISITOR_ADDRESS): Duplex {
  const server = source();
  if (!server) throw new CaptunDevServerGoneError("the dev server is not running (closed or restarting)");
  const [client, serverSide] = duplexPair();
  // Frameworks read the peer address (Astro's clientAddress) and tune sockets (Next's bundled ws
  // calls setNoDelay/setTimeout): give the in-memory socket what a TCP one would have.
  Object.assign(serverSide, {
    remoteAddress,
    remotePort: 0,
    remoteFamily: remoteAddress.includes(":") ? "IPv6" : "IPv4",
    encrypted: false,
    setTimeout: () => serverSide,
    setNoDelay: () => serverSide,
    setKeepAlive: () => serverSide,
  });
  Object.assign(client, {
    setTimeout: () => client,
    setNoDelay: () => client,
    setKeepAlive: () => client,
    ref: () => client,
    unref: () => client,
  });
  // duplexPair() does not pass a destroy to the other side: a server that drops the connection
  // (Vite closing on restart) would leave the client end waiting forever.
  serverSide.once("close", () => client.destroy());
  client.once("close", () => serverSide.destroy());
  server.emit("connection", serverSide);
  return client;
}

/**
 * An undici dispatcher whose every connection is injected into the dev server. Connections are
 * pooled per visitor (the `X-Forwarded-For` the captun Worker set), and each one's
 * `remoteAddress` is that visitor's IP, so `clientAddress`-style APIs see who is really asking.
 */
export function createInjectingAgent(source: HttpServerSource): Dispatcher {
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    maxHeaderSize: ORIGIN_MAX_HEADER_SIZE,
    connect(options, callback) {
      // undici hangs when `connect` calls back synchronously.
      setImmediate(() => {
        let socket: Duplex;
        try {
          socket = injectConnection(source, addressFromPoolHostname(options.hostname));
        } catch (error) {
          callback(error as Error, null);
          return;
        }
        callback(null, socket as never);
      });
    },
  });
  return agent.compose(
    (dispatch) => (options, handler) =>
      dispatch({ ...options, origin: visitorPoolOrigin(visitorAddressFromHeaders(options.headers) ?? LOCAL_VISITOR_ADDRESS) }, handler),
  );
}

/**
 * A `createConnection` for the `ws` client's upgrade handshakes (HMR sockets): each connection is
 * injected into the dev server with the visitor's address from the handshake's `X-Forwarded-For`,
 * as {@link createInjectingAgent} does for plain requests.
 */
export function createInjectingConnection(source: HttpServerSource): (options: { headers?: OutgoingHttpHeaders }) => Duplex {
  return (options) =>
    injectConnection(source, visitorAddressFromHeaders(options.headers as Record<string, string>) ?? LOCAL_VISITOR_ADDRESS);
}
