import { Agent, type ClientRequest, createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { connect, type Socket } from "node:net";
import { pipeline } from "node:stream";
import { ERROR_HEADER } from "./protocol.ts";

/**
 * Larger than any limit the Worker enforces itself (32 KiB of request headers, 16 KiB URLs), so the
 * Worker — not this front — answers 414/431 with its `x-captun-error`, and origins' large response
 * headers reach visitors as they would through Cloudflare.
 */
const MAX_HEADER_BYTES = 256 * 1024;

/**
 * How long a visitor's idle connection stays open, announced in `Keep-Alive: timeout=300`. A client
 * that sends a request on a connection just as the server closes it gets a reset, and Node's own
 * http.Agent (without a `timeout`) ignores the announcement and keeps idle connections until the
 * server closes them. Node's default of 5 s put that race in every pause of a page load over a
 * slow link (up to 4 of 990 requests reset); Cloudflare's edge, which this front stands in for,
 * keeps idle connections open far longer.
 */
const KEEP_ALIVE_MS = 300_000;
/** Headers a visitor's `Connection` may name without the front dropping them. */
const FRAMING_HEADERS = new Set(["host", "content-length", "transfer-encoding"]);
/** How long a kept-alive connection to workerd may sit idle before the front closes it. */
const UPSTREAM_IDLE_MS = 1_000;

/**
 * What sits where Cloudflare's edge would, in front of the local server's workerd: it sets
 * `CF-Connecting-IP` from the visitor's socket, as the edge does. workerd keeps a
 * `CF-Connecting-IP` the visitor sent and reads `MF-CF-Blob` as `request.cf` (Miniflare's entry
 * obeys more `MF-*` controls), which would let any visitor of a local server claim any address;
 * this front drops both before workerd sees them.
 */
export interface LocalFront {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * @param maxBodyBytes the Worker's request body limit (`MAX_BODY_BYTES`). A request that declares a
 *   larger body is sent on without it: the Worker refuses it (413) from its headers alone, and
 *   workerd closing a connection with body bytes unread resets it, which can destroy that answer
 *   before the front reads it (the visitor would get a 502 instead of the 413 that says what to change).
 */
export async function startLocalFront(host: string, port: number, upstreamPort: number, maxBodyBytes: number): Promise<LocalFront> {
  // No socket cap: requests must not queue here, invisible to the Worker's own in-flight limit.
  // Body-less GET, HEAD and OPTIONS requests (most of a page's) reuse kept-alive connections: a
  // fresh loopback connection per request cost ~0.5 ms. workerd closes idle connections on its own
  // schedule, so one may close just as a request goes out on it; such a request is then sent once
  // more on a new connection, as browsers do. Idle ones are dropped after a second.
  const reusing = new Agent({ keepAlive: true, timeout: UPSTREAM_IDLE_MS });
  // Any other request (a body's bytes are gone once sent; a POST must not run twice) gets its own connection.
  const fresh = new Agent({ keepAlive: false });
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 0, keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => {
    // Only a safe request without a body may be sent twice; everything else gets its own connection.
    const resendable =
      (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") &&
      req.headers["content-length"] === undefined &&
      req.headers["transfer-encoding"] === undefined;
    const headers = upstreamHeaders(req) as unknown as OutgoingHttpHeaders;
    let visitorLeft = false;
    // The attempt in flight (a resend replaces it): a visitor who leaves ends it.
    let current: ClientRequest | undefined;
    res.on("close", () => {
      if (res.writableFinished) return;
      visitorLeft = true;
      current?.destroy();
    });
    const forward = (agent: Agent, mayResend: boolean) => {
      const upstream = httpRequest(
        {
          host: "127.0.0.1",
          port: upstreamPort,
          method: req.method,
          path: req.url,
          headers,
          agent,
          maxHeaderSize: MAX_HEADER_BYTES,
          setHost: false,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
          // A cut-off answer must reach the visitor as a cut-off connection, not a clean end.
          pipeline(answer, res, (error) => error && res.destroy());
        },
      );
      upstream.setNoDelay(true);
      upstream.on("error", (error: NodeJS.ErrnoException) => {
        // The visitor has the whole answer: what happens to this connection now is no news to them.
        if (res.writableFinished) return;
        // Not when the visitor left: that destroyed this request on purpose (and it may have reached the Worker).
        if (mayResend && upstream.reusedSocket && error.code === "ECONNRESET" && !res.headersSent && !visitorLeft) {
          forward(fresh, false).end();
          return;
        }
        if (!res.headersSent)
          res
            .writeHead(502, { "content-type": "text/plain; charset=utf-8", [ERROR_HEADER]: "server-unreachable" })
            .end("502 Bad Gateway: the local captun server is not answering.\n");
        else res.destroy();
      });
      current = upstream;
      return upstream;
    };
    if (resendable) {
      req.resume();
      forward(reusing, true).end();
    } else if (Number(req.headers["content-length"]) > maxBodyBytes) {
      // The visitor's upload is read and dropped here, so this end's close is clean too.
      req.resume();
      const upstream = forward(fresh, false);
      upstream.flushHeaders();
      // The body it declared never follows: once the answer is through, the connection is done.
      res.on("finish", () => upstream.destroy());
    } else {
      const upstream = forward(fresh, false);
      pipeline(req, upstream, (error) => error && upstream.destroy());
    }
  });
  // Upgraded sockets leave the HTTP server's bookkeeping: close() must end them itself.
  const upgraded = new Set<Socket>();
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgraded.add(socket);
    socket.once("close", () => upgraded.delete(socket));
    const upstream = connect(upstreamPort, "127.0.0.1", () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      const headers = upstreamHeaders(req, true);
      for (const [name, value] of headers) lines.push(`${name}: ${value}`);
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.setNoDelay(true);
    socket.setNoDelay(true);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    upstream.on("error", end).on("close", end);
    socket.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    async close() {
      server.closeAllConnections();
      for (const socket of upgraded) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      reusing.destroy();
      fresh.destroy();
    },
  };
}

/**
 * The visitor's headers as sent (names, order, repeats), with the address overwritten. For a
 * plain request, `Connection` and the headers it names describe the visitor's connection, not the
 * front's to workerd (a visitor's `Connection: close` would close a kept-alive one), so they stay
 * here, as at any proxy; an upgrade keeps them (`Connection: Upgrade` is the upgrade).
 */
function upstreamHeaders(req: IncomingMessage, upgrade = false): [string, string][] {
  const headers: [string, string][] = [];
  const raw = req.rawHeaders;
  const hopByHop = new Set(["keep-alive"]);
  if (!upgrade) {
    hopByHop.add("connection");
    for (const token of (req.headers.connection ?? "").split(",")) {
      const named = token.trim().toLowerCase();
      // A visitor naming the headers that frame the request must not get them dropped: its body would then be read as another request.
      if (!FRAMING_HEADERS.has(named)) hopByHop.add(named);
    }
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === "cf-connecting-ip" || lower.startsWith("mf-") || hopByHop.has(lower)) continue;
    headers.push([name, raw[i + 1]!]);
  }
  const address = req.socket.remoteAddress ?? "";
  headers.push(["CF-Connecting-IP", address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "")]);
  return headers;
}
