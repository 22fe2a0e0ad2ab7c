import { RpcSession, type RpcStub, RpcTarget } from "capnweb";
import WebSocket from "ws";
import { startHeartbeat } from "./_heartbeat.ts";
import { localhostConnectOptions } from "./_localhost.ts";
import { sendPartsOver } from "./_ws-send-parts.ts";
import { type AccessPolicy, accessPolicyHeaders } from "./access-policy.ts";
import { type BodyFrames, isFramedBody } from "./body-frames.ts";
import type { GenerationServerApi } from "./change-generation.ts";
import { CaptunAuthError, CaptunConnectError, CaptunProtocolError } from "./errors.ts";
import { withHopCompression } from "./hop-compression.ts";
import { fromWireRequest, toWireResponse } from "./http.ts";
import { encodeInboxPatterns, INBOX_HEADER } from "./inbox-paths.ts";
import type { Fetcher } from "./protocol.ts";
import {
  BODY_FRAMES_HEADER,
  CONNECT_PATH,
  ERROR_HEADER,
  HEARTBEAT_INTERVAL_MS,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  type TunnelClientApi,
  type TunnelServerApi,
  type WebSocketEndApi,
  type WireRequest,
  type WireResponse,
  type WireWebSocketResult,
} from "./protocol.ts";
import { type MessageSocket, type SocketClose, WebSocketTransport } from "./transport.ts";
import type { WebSocketConnector } from "./websocket.ts";
import { connectOriginWebSocket } from "./websocket-client.ts";

export interface CreateCaptunTunnelOptions {
  /** The tunnel's public URL, e.g. `https://captun.example.workers.dev/my-app`. */
  url: string | URL;
  /** Answers each public request. */
  fetch: Fetcher;
  /**
   * Opens the origin's WebSocket for each visitor upgrade (see docs/websockets.md).
   * @default fetch.connectWebSocket (set by `createOriginFetcher`); without either, upgrades get 501
   */
  connectWebSocket?: WebSocketConnector;
  /** The server's connect secret. @default undefined (for servers without one) */
  secret?: string;
  /** Who may see the tunnel, enforced by the server (docs/access.md). @default { mode: "public" } */
  access?: AccessPolicy;
  /** Aborting it closes the tunnel (or cancels the connect). */
  signal?: AbortSignal;
  /** How long to wait for the server to accept the tunnel. @default 15_000 */
  connectTimeoutMs?: number;
  /**
   * Pings the server after this long without a message from it (an RPC call the Worker itself
   * answers, so a proxy that keeps TCP up for a dead server cannot fool it); a server silent for
   * two intervals counts as gone and the socket is dropped (`keepTunnelOpen` reconnects).
   * @default 4_000 (a dead server is noticed within 10 s)
   */
  heartbeatMs?: number;
  /** Paths the server keeps requests for while this tunnel is offline, e.g. `["/webhooks/**"]` (docs/inspector.md). @default [] */
  inbox?: readonly string[];
  /**
   * Offers the server body frames (binary frames with per-stream credit beside the RPC session,
   * docs/architecture.md); a server that does not speak them keeps Cap'n Web streams.
   * @default true (false is for testing the older path)
   */
  bodyFrames?: boolean;
}

/** A connected tunnel. Dispose it (`await using`) or call `close()`. */
export interface CaptunTunnel extends AsyncDisposable {
  /** The public URL the server assigned. */
  readonly url: string;
  /** The tunnel name, when the server routes by name. */
  readonly name: string | undefined;
  /** Resolves when the session ends, with the WebSocket close code and reason. */
  readonly closed: Promise<SocketClose>;
  /**
   * Tells the server this client is about to close: it sends no new requests here (it holds them
   * for the next client under this name) while those in flight finish. Call it, let in-flight
   * requests end, then `close()`: a restart then loses no request.
   */
  leave(): Promise<void>;
  /**
   * Announces the dev server's change generation (CONTEXT.md) to the server's edge cache; resolves
   * once the server has it (or refused it: a server without generations keeps revalidating).
   */
  changed(generation: number): Promise<void>;
  close(): Promise<void>;
}

class ClientMain extends RpcTarget implements TunnelClientApi {
  readonly #fetch: Fetcher;
  readonly #connectWebSocket: WebSocketConnector | undefined;
  /** Aborts when the session ends: requests and bodies still running have nobody to answer. */
  readonly #sessionEnded: AbortSignal;
  readonly #frames: BodyFrames | undefined;
  constructor(
    fetcher: Fetcher,
    connectWebSocket: WebSocketConnector | undefined,
    sessionEnded: AbortSignal,
    frames: BodyFrames | undefined,
  ) {
    super();
    this.#fetch = withHopCompression(fetcher);
    this.#connectWebSocket = connectWebSocket ?? fetcher.connectWebSocket;
    this.#sessionEnded = sessionEnded;
    this.#frames = frames;
  }
  async fetch(wire: WireRequest): Promise<WireResponse> {
    const frames = this.#frames;
    const sentBody = frames && isFramedBody(wire.body) ? wire.body : undefined;
    if (sentBody) wire.body = frames?.receive(sentBody) ?? null;
    let response: Response;
    try {
      response = await this.#fetch(fromWireRequest(wire, this.#sessionEnded));
    } catch (error) {
      if (sentBody) frames?.abandon(sentBody, "received");
      throw error;
    }
    // Frames end with the session on their own; Cap'n Web streams need the signal.
    const answerFramed = frames !== undefined && wire.bodyFrames === true;
    const answer = await toWireResponse(response, wire.method, answerFramed ? undefined : this.#sessionEnded, answerFramed);
    if (answerFramed && answer.body instanceof ReadableStream) answer.body = frames.send(answer.body);
    return answer;
  }
  connectWebSocket(wire: WireRequest, peer: WebSocketEndApi): Promise<WireWebSocketResult> {
    return connectOriginWebSocket(this.#connectWebSocket, wire, peer as RpcStub<WebSocketEndApi>);
  }
  ping(): void {}
}

export function connectUrlFor(tunnelUrl: string | URL): URL {
  const url = new URL(tunnelUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : url.protocol === "http:" ? "ws:" : url.protocol;
  url.pathname = url.pathname.replace(/\/$/, "") + CONNECT_PATH;
  url.search = "";
  url.hash = "";
  return url;
}

/**
 * Opens a tunnel: connects to the server, exposes `fetch` to it, and resolves once the server has
 * registered the tunnel and told us its public URL.
 */
export async function createCaptunTunnel(options: CreateCaptunTunnelOptions): Promise<CaptunTunnel> {
  options.signal?.throwIfAborted();
  const url = connectUrlFor(options.url);
  const socket = createSocket(
    url,
    options.secret,
    await accessPolicyHeaders(options.access, options.secret),
    options.inbox,
    options.bodyFrames,
  );
  // Listen before the socket opens: the server may call `fetch` right behind its handshake, and ws
  // delivers those frames (on process.nextTick) before code after an `await` of "open" runs.
  const transport = new WebSocketTransport(socket as unknown as MessageSocket, {
    sendParts: sendPartsOver(socket),
  });
  await waitForOpen(socket, url, options);
  const sessionEnded = new AbortController();
  void transport.closed.then((c) => sessionEnded.abort(new CaptunConnectError(`the tunnel session ended (${c.code} ${c.reason})`.trim())));
  const frames = options.bodyFrames === false ? undefined : transport.frames;
  const session = new RpcSession<TunnelServerApi>(
    transport,
    new ClientMain(options.fetch, options.connectWebSocket, sessionEnded.signal, frames),
  );
  const server = session.getRemoteMain() as unknown as RpcStub<TunnelServerApi>;
  const stopHeartbeat = startHeartbeat({
    intervalMs: options.heartbeatMs ?? HEARTBEAT_INTERVAL_MS,
    lastHeard: () => transport.lastReceivedAt,
    ping: () => server.ping(),
    onSilent: () => socket.terminate(),
  });
  void transport.closed.then(stopHeartbeat);

  let closing: Promise<void> | undefined;
  let registered = false;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      options.signal?.removeEventListener("abort", onAbort);
      // Announced over the session first: the server stops routing here before this resolves, so a
      // request sent right after close() is held, kept by the inbox or refused as offline — never
      // sent to a session that is going away (it would fail as 502 origin-error).
      if (registered && socket.readyState === WebSocket.OPEN) await announceLeaving(1_000);
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(1000, "client closed");
      await Promise.race([transport.closed, delay(2_000)]);
      socket.terminate();
    })();
    return closing;
  };
  const onAbort = () => void close();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  // A session that ends on its own must not leave its listener on a long-lived signal.
  void transport.closed.then(() => options.signal?.removeEventListener("abort", onAbort));

  // A server from before `leaving()` answers with an error: it then only learns at close.
  const announceLeaving = (ms: number) =>
    Promise.race([Promise.resolve(server.leaving()).catch(() => {}), transport.closed, delay(ms)]).then(() => {});

  let info: Awaited<ReturnType<TunnelServerApi["ready"]>>;
  const readyTimeoutMs = options.connectTimeoutMs ?? 15_000;
  let readyTimer: ReturnType<typeof setTimeout> | undefined;
  try {
    info = await Promise.race([
      server.ready(),
      transport.closed.then((c) => {
        throw new CaptunConnectError(`the server closed the tunnel before it was ready (${c.code} ${c.reason})`.trim());
      }),
      new Promise<never>((_, reject) => {
        readyTimer = setTimeout(
          () => reject(new CaptunConnectError(`the server at ${url.origin} did not register the tunnel within ${readyTimeoutMs} ms`)),
          readyTimeoutMs,
        );
      }),
    ]);
    if ((info.protocol ?? 1) !== PROTOCOL_VERSION) {
      throw new CaptunProtocolError(
        `the captun server at ${url.origin} speaks protocol ${info.protocol ?? 1}, this client ${PROTOCOL_VERSION}: ` +
          ((info.protocol ?? 1) > PROTOCOL_VERSION
            ? "update the client (install the latest captun)."
            : "update the server (run `npx captun deploy` again, or restart `captun server`)."),
      );
    }
  } catch (error) {
    await close();
    throw error;
  } finally {
    clearTimeout(readyTimer);
  }
  registered = true;
  const generations = server as unknown as RpcStub<GenerationServerApi>;
  return {
    url: info.url,
    name: info.name,
    closed: transport.closed,
    leave: () => announceLeaving(2_000),
    // An older server answers with an error: its cache simply keeps revalidating.
    changed: (generation) =>
      Promise.race([Promise.resolve(generations.changed(generation)).catch(() => {}), transport.closed, delay(2_000)]).then(() => {}),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function createSocket(
  url: URL,
  secret: string | undefined,
  extraHeaders: Record<string, string>,
  inbox: readonly string[] = [],
  bodyFrames = true,
): WebSocket {
  const headers: Record<string, string> = { ...extraHeaders, [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) };
  if (bodyFrames) headers[BODY_FRAMES_HEADER] = "1";
  if (secret) headers.authorization = `Bearer ${secret}`;
  if (inbox.length > 0) headers[INBOX_HEADER] = encodeInboxPatterns(inbox);
  return new WebSocket(url, {
    headers,
    ...localhostConnectOptions,
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
    // Masking protects proxies that read plain-text frames; none can inside TLS or on loopback,
    // where it only costs a copy and a pass over every body byte (a third of the client's CPU).
    ...(maskingIsMoot(url) ? { generateMask: (mask: Buffer) => mask.fill(0) } : {}),
  });
}

function waitForOpen(socket: WebSocket, url: URL, options: CreateCaptunTunnelOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(
      () => fail(new CaptunConnectError(`no answer from ${url.origin} within ${options.connectTimeoutMs ?? 15_000} ms`)),
      options.connectTimeoutMs ?? 15_000,
    );
    const onAbort = () => fail(options.signal?.reason ?? new Error("aborted"));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const onOpen = () => {
      settle();
      resolve();
    };
    const onError = (error: NodeJS.ErrnoException) => {
      fail(new CaptunConnectError(`cannot reach the captun server at ${url.origin}: ${error.code ?? error.message}`));
    };
    function settle() {
      clearTimeout(timeout);
      options.signal?.removeEventListener("abort", onAbort);
      socket.off("open", onOpen).off("error", onError).removeAllListeners("unexpected-response");
    }
    function fail(error: unknown) {
      settle();
      // The socket may still report errors while it is torn down; nobody is waiting for them.
      socket.on("error", () => {});
      socket.terminate();
      reject(error);
    }
    socket.once("open", onOpen);
    socket.once("error", onError);
    socket.once("unexpected-response", (_req, res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8").trim().slice(0, 300);
        const status = res.statusCode ?? 0;
        const code = res.headers[ERROR_HEADER];
        if (code === "protocol-mismatch") {
          fail(new CaptunProtocolError(`the captun server at ${url.origin} cannot accept this client: ${serverMessage(body)}`));
        } else if (code === "connect-secret-unset") {
          fail(new CaptunAuthError(`the captun server at ${url.origin} refuses every tunnel: ${serverMessage(body)}`));
        } else if (status === 401) {
          fail(
            new CaptunAuthError(
              `the captun server at ${url.origin} rejected the connect secret (401): pass the secret the server was set up with.`,
            ),
          );
        } else {
          fail(
            new CaptunConnectError(
              `the captun server at ${url.origin} answered ${status} instead of opening a tunnel${body ? `: ${body}` : ""}`,
              status,
            ),
          );
        }
      });
    });
  });
}

/** The message of a captun error body (`426 Upgrade Required: <message>`). */
function serverMessage(body: string): string {
  return body.replace(/^\d{3} [^:]*: /, "");
}

function maskingIsMoot(url: URL): boolean {
  return url.protocol === "wss:" || ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname) || url.hostname.endsWith(".localhost");
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
