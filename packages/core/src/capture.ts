// Request capture for the inspector (docs/inspector.md): a Fetcher wrapper that records each
// request that came through the tunnel and its response as they stream past, without buffering
// or delaying either, into a ring buffer bounded in count and bytes.
import { tap } from "./_body-tap.ts";
import { CaptureReplayError, type ReplayEdits, replayRequest } from "./capture-replay.ts";
import { INBOX_ARRIVED_HEADER, INBOX_ID_HEADER } from "./inbox-paths.ts";
import type { Fetcher } from "./protocol.ts";
import { ERROR_HEADER } from "./protocol.ts";

/** What was kept of one body: the first `maxBodyBytes`, and how big it really was. */
export interface CapturedBody {
  /** Bytes seen so far (the whole body once it ended). */
  size: number;
  /** The first bytes, up to the capture limit. */
  bytes: Uint8Array;
  /** True when `size` outgrew what was kept. */
  truncated: boolean;
}

/** How a captured exchange ended. `pending` while its response is still streaming. */
export type CaptureOutcome = "pending" | "complete" | "cancelled" | "error";

export interface CapturedExchange {
  /** Increasing number, as a string (`"1"`, `"2"`, …). */
  id: string;
  /** The exchange this one replays. */
  replayOf?: string;
  /** Set when the shard's inbox held the request while no client was connected. */
  inbox?: { id: string; arrivedAt: number };
  method: string;
  /** The URL as the tunnel's client saw it (the public URL's origin, folder prefix removed). */
  url: string;
  requestHeaders: [string, string][];
  requestBody: CapturedBody | null;
  /** The visitor's IP, from the `X-Forwarded-For` the captun Worker set. */
  visitorAddress?: string;
  /** Epoch ms: the request arrived, the response headers came, the response body ended. */
  startedAt: number;
  firstByteAt?: number;
  endedAt?: number;
  status?: number;
  statusText?: string;
  responseHeaders?: [string, string][];
  responseBody?: CapturedBody | null;
  outcome: CaptureOutcome;
  /** The `x-captun-error` code of captun's own error answers, or what went wrong. */
  error?: string;
}

export interface CaptureOptions {
  /** Bytes kept per request or response body; the rest is counted, not kept. @default 1 MiB */
  maxBodyBytes?: number;
  /** Exchanges kept; the oldest go first. @default 500 */
  maxEntries?: number;
  /** Body bytes kept over all exchanges; the oldest go first. @default 64 MiB */
  maxBytes?: number;
}

export { CaptureReplayError, type ReplayEdits } from "./capture-replay.ts";

export type CaptureEvent = { type: "added" | "updated"; exchange: CapturedExchange } | { type: "cleared" };

/** A Fetcher wrapper and the exchanges it recorded. */
export interface Capture {
  /** `inner`, recording each request. Keeps `inner.connectWebSocket`. */
  wrap(inner: Fetcher): Fetcher;
  /** Newest first. */
  list(): CapturedExchange[];
  get(id: string): CapturedExchange | undefined;
  clear(): void;
  /** Calls `listener` on every change; returns the function that stops it. */
  subscribe(listener: (event: CaptureEvent) => void): () => void;
  /**
   * Sends a recorded request again (with `edits`) through the wrapped fetcher, straight to the
   * origin; resolves with the new exchange once its response has ended.
   */
  replay(id: string, edits?: ReplayEdits): Promise<CapturedExchange>;
}

const FIRST_ID = 1;

export function createCapture(options: CaptureOptions = {}): Capture {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const maxEntries = options.maxEntries ?? 500;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const entries: CapturedExchange[] = [];
  const listeners = new Set<(event: CaptureEvent) => void>();
  let nextId = FIRST_ID;
  let bytes = 0;
  let wrapped: Fetcher | undefined;
  const replayOf = new WeakMap<Request, string>();
  const buffers = new WeakMap<CapturedBody, Uint8Array>();

  const emit = (event: CaptureEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A listener's trouble (an event stream whose reader left) must never fail a tunneled request.
        listeners.delete(listener);
      }
    }
  };
  const weight = (exchange: CapturedExchange) =>
    (exchange.requestBody?.bytes.byteLength ?? 0) + (exchange.responseBody?.bytes.byteLength ?? 0);
  const trim = () => {
    while (entries.length > maxEntries || (bytes > maxBytes && entries.length > 1)) {
      const dropped = entries.shift()!;
      bytes -= weight(dropped);
    }
  };
  const live = (exchange: CapturedExchange) => entries.includes(exchange);

  /** A body sink that keeps up to `maxBodyBytes` and counts the rest. */
  const sink = (exchange: CapturedExchange, body: CapturedBody) => (chunk: Uint8Array) => {
    const room = maxBodyBytes - body.bytes.byteLength;
    body.size += chunk.byteLength;
    if (room > 0) {
      const kept = chunk.byteLength <= room ? chunk : chunk.subarray(0, room);
      const used = body.bytes.byteLength;
      let buffer = buffers.get(body);
      if (!buffer || buffer.byteLength < used + kept.byteLength) {
        // Doubling keeps copying linear in the body's size.
        const grown = new Uint8Array(Math.min(maxBodyBytes, Math.max(2 * used, used + kept.byteLength, 16 * 1024)));
        grown.set(body.bytes);
        buffer = grown;
        buffers.set(body, buffer);
      }
      buffer.set(kept, used);
      body.bytes = buffer.subarray(0, used + kept.byteLength);
      if (live(exchange)) {
        bytes += kept.byteLength;
        trim();
      }
    }
    if (body.size > maxBodyBytes) body.truncated = true;
  };

  const record = async (inner: Fetcher, request: Request): Promise<Response> => {
    const headers = [...request.headers];
    const arrived = request.headers.get(INBOX_ARRIVED_HEADER);
    const inboxId = request.headers.get(INBOX_ID_HEADER);
    const exchange: CapturedExchange = {
      id: String(nextId++),
      method: request.method,
      url: request.url,
      requestHeaders: headers,
      requestBody: null,
      startedAt: Date.now(),
      outcome: "pending",
    };
    const original = replayOf.get(request);
    if (original) exchange.replayOf = original;
    if (inboxId && arrived) exchange.inbox = { id: inboxId, arrivedAt: Date.parse(arrived) };
    const forwardedFor = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwardedFor) exchange.visitorAddress = forwardedFor;
    entries.push(exchange);
    trim();
    emit({ type: "added", exchange });
    const changed = () => {
      if (live(exchange)) emit({ type: "updated", exchange });
    };

    let forwarded = request;
    if (request.body) {
      const body: CapturedBody = { size: 0, bytes: new Uint8Array(), truncated: false };
      exchange.requestBody = body;
      forwarded = new Request(request.url, {
        method: request.method,
        headers: request.headers,
        body: tap(request.body, sink(exchange, body), () => {}),
        redirect: "manual",
        signal: request.signal,
        duplex: "half",
      } as RequestInit);
    }

    let response: Response;
    try {
      response = await inner(forwarded);
    } catch (error) {
      exchange.endedAt = Date.now();
      exchange.outcome = request.signal.aborted ? "cancelled" : "error";
      exchange.error = error instanceof Error ? error.message : String(error);
      changed();
      throw error;
    }
    exchange.firstByteAt = Date.now();
    exchange.status = response.status;
    exchange.statusText = response.statusText;
    exchange.responseHeaders = [...response.headers];
    const captunError = response.headers.get(ERROR_HEADER);
    if (captunError) exchange.error = captunError;
    const finish = (outcome: CaptureOutcome, reason?: unknown) => {
      if (exchange.outcome !== "pending") return;
      exchange.endedAt = Date.now();
      exchange.outcome = captunError && outcome === "complete" ? "error" : outcome;
      if (reason !== undefined && !exchange.error) exchange.error = reason instanceof Error ? reason.message : String(reason);
      changed();
    };
    if (!response.body) {
      exchange.responseBody = null;
      finish("complete");
      return response;
    }
    const body: CapturedBody = { size: 0, bytes: new Uint8Array(), truncated: false };
    exchange.responseBody = body;
    changed();
    return new Response(tap(response.body, sink(exchange, body), finish), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };

  const capture: Capture = {
    wrap(inner) {
      const fetcher: Fetcher = (request) => record(inner, request);
      if (inner.connectWebSocket) fetcher.connectWebSocket = inner.connectWebSocket;
      wrapped = fetcher;
      return fetcher;
    },
    list: () => entries.slice().reverse(),
    get: (id) => entries.find((exchange) => exchange.id === id),
    clear() {
      entries.length = 0;
      bytes = 0;
      emit({ type: "cleared" });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async replay(id, edits = {}) {
      const source = capture.get(id);
      if (!source) throw new CaptureReplayError(`No captured request ${id} (it may have been cleared or pushed out).`);
      if (!wrapped) throw new CaptureReplayError("Nothing to replay into: the capture is not wrapping a fetcher.");
      const request = replayRequest(source, edits);
      replayOf.set(request, source.id);
      const response = await wrapped(request);
      await response.arrayBuffer().catch(() => {});
      // The wrapper recorded it as the newest exchange replaying `id`.
      return entries.findLast((exchange) => exchange.replayOf === source.id) ?? source;
    },
  };
  return capture;
}
