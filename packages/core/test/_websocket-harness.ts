// WebSocket helpers for the tests: a real `ws` origin behind node:http, and a visitor socket that
// resolves *.localhost to loopback like a browser does.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { localhostLookup } from "../src/_localhost.ts";

export interface WsOrigin extends AsyncDisposable {
  url: string;
  /** Server-side sockets, in connection order. */
  sockets: WebSocket[];
  /** Headers and URL of each upgrade request the origin saw. */
  upgrades: { url: string; headers: IncomingHttpHeaders }[];
}

export interface WsOriginOptions {
  /** What to do with each accepted socket. @default echo every message back as it came */
  onSocket?: (socket: WebSocket) => void;
  /** Subprotocol choice; @default the first offered */
  selectProtocol?: (offered: Set<string>) => string | false;
  /** Body of every plain HTTP answer (served as HTML when it starts with `<`). @default "plain http" */
  page?: string;
  /** Extra header lines of every `101` answer, e.g. `"Set-Cookie: a=1"`. @default none */
  handshakeHeaders?: string[];
}

/** A `ws` server on 127.0.0.1:0. Path `/refuse` answers the upgrade with 403 and a body. */
export async function startWsOrigin(options: WsOriginOptions = {}): Promise<WsOrigin> {
  const page = options.page ?? "plain http";
  const server = createServer((_req, res) => {
    res.setHeader("content-type", page.startsWith("<") ? "text/html; charset=utf-8" : "text/plain");
    res.end(page);
  });
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
    handleProtocols: (offered) => (options.selectProtocol ? options.selectProtocol(offered) : ([...offered][0] ?? false)),
  });
  const extraHeaders = options.handshakeHeaders;
  if (extraHeaders) wss.on("headers", (headers) => headers.push(...extraHeaders));
  const origin: WsOrigin = {
    url: "",
    sockets: [],
    upgrades: [],
    async [Symbol.asyncDispose]() {
      for (const socket of wss.clients) socket.terminate();
      server.closeAllConnections();
      await new Promise((resolve) => wss.close(resolve));
      await new Promise((resolve) => server.close(resolve));
    },
  };
  server.on("upgrade", (req, socket, head) => {
    origin.upgrades.push({ url: req.url ?? "", headers: req.headers });
    if (req.url?.startsWith("/refuse")) {
      socket.end(
        "HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nx-origin: yes\r\ncontent-length: 11\r\nconnection: close\r\n\r\nnot for you",
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      origin.sockets.push(ws);
      if (options.onSocket) options.onSocket(ws);
      else ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return origin;
}

export class UpgradeRefused extends Error {
  override name = "UpgradeRefused";
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  constructor(status: number, headers: IncomingHttpHeaders, body: string) {
    super(`upgrade refused with ${status}`);
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

export interface Visitor extends WebSocket, AsyncDisposable {
  /** Every message received since the handshake, text as strings. */
  received: Received[];
  /** The next message not yet returned by `next()`. */
  next(): Promise<Received>;
  /** Headers of the `101` answer the visitor got. */
  handshakeHeaders: IncomingHttpHeaders;
}

/** Opens a visitor's WebSocket to a public URL (http:// is turned into ws://). Rejects with {@link UpgradeRefused}. */
export function openVisitor(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<Visitor> {
  const socket = new WebSocket(url.replace(/^http/, "ws"), options.protocols ?? [], {
    headers: options.headers,
    lookup: localhostLookup as never,
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
  });
  // Listen before `open`: frames sent right after the handshake can arrive in the same tick.
  const received: Received[] = [];
  let cursor = 0;
  let wake: (() => void) | undefined;
  socket.on("message", (data, isBinary) => {
    received.push({ data: isBinary ? (data as Buffer) : data.toString(), binary: isBinary });
    wake?.();
  });
  socket.on("close", () => wake?.());
  const next = async (): Promise<Received> => {
    while (cursor >= received.length) {
      if (socket.readyState === WebSocket.CLOSED) throw new Error("socket closed before the next message");
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    return received[cursor++]!;
  };
  let handshakeHeaders: IncomingHttpHeaders = {};
  socket.once("upgrade", (res) => {
    handshakeHeaders = res.headers;
  });
  return new Promise((resolve, reject) => {
    socket.once("open", () =>
      resolve(Object.assign(socket, { received, next, handshakeHeaders, [Symbol.asyncDispose]: () => closeQuietly(socket) })),
    );
    socket.once("error", reject);
    socket.once("unexpected-response", (_req, res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        socket.on("error", () => {});
        socket.terminate();
        reject(new UpgradeRefused(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString()));
      });
    });
  });
}

async function closeQuietly(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return;
  socket.terminate();
}

export interface Received {
  data: Buffer | string;
  binary: boolean;
}

/** Resolves with the close code and reason, or rejects after `timeoutMs`. */
export function closed(socket: WebSocket, timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.reject(new Error("already closed; listen earlier"));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
    socket.once("close", (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
  });
}
