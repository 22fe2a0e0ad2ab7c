import { wholeBodyOf } from "./_whole-body.ts";
import { INLINE_BODY_LIMIT, type WireBody, type WireRequest, type WireResponse } from "./protocol.ts";
import { rechunk } from "./rechunk.ts";

/** Statuses whose responses never carry a body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** Headers that describe one connection and must not be forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/** Removes hop-by-hop headers, including every header named in `Connection`. */
export function stripHopByHop(headers: Headers): Headers {
  const named = headers.get("connection");
  if (named) {
    for (const token of named.split(",")) {
      const name = token.trim();
      if (name) headers.delete(name);
    }
  }
  for (const name of HOP_BY_HOP) headers.delete(name);
  return headers;
}

/**
 * How long a small body may take to complete before the headers leave without it. Most small
 * bodies are complete when their headers arrive; one that trickles (a long poll, a slow render)
 * must not hold its headers back, so it streams instead.
 */
const INLINE_WAIT_MS = 3;
const TIMED_OUT = Symbol("timed out");

/**
 * A body as it crosses the tunnel: inline bytes when it is small (Content-Length up to
 * {@link INLINE_BODY_LIMIT}) and complete within {@link INLINE_WAIT_MS}, else a stream.
 * A stream for body frames is left as it is (frames split big chunks and batch queued ones
 * themselves, and cost no RPC call per chunk); others are re-chunked.
 */
async function toWireBody(body: ReadableStream<Uint8Array> | null, headers: Headers, framed = false): Promise<WireBody> {
  if (!body) return null;
  const cut = framed ? (stream: ReadableStream<Uint8Array>) => stream : rechunk;
  const length = Number(headers.get("content-length") ?? Number.NaN);
  if (!(length <= INLINE_BODY_LIMIT)) return cut(body);
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), INLINE_WAIT_MS);
  });
  try {
    for (;;) {
      const next = reader.read();
      const result = await Promise.race([next, deadline]);
      if (result === TIMED_OUT || (!result.done && size + result.value.byteLength > INLINE_BODY_LIMIT)) {
        // Not complete yet (or longer than it said): send what came so far and stream the rest.
        if (result !== TIMED_OUT) parts.push(result.value);
        return cut(continued(parts, result === TIMED_OUT ? next : undefined, reader));
      }
      if (result.done) return join(parts, size);
      parts.push(result.value);
      size += result.value.byteLength;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The rest of a body whose first `parts` were already read, and maybe a read still pending. */
function continued(
  parts: Uint8Array[],
  pending: ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]> | undefined,
  reader: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const part = parts.shift();
        if (part) return controller.enqueue(part);
        const next = pending ?? reader.read();
        pending = undefined;
        const { done, value } = await next;
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

function join(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const joined = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.byteLength;
  }
  return joined;
}

function headerList(headers: Headers): [string, string][] {
  // Iterating Headers yields each Set-Cookie separately, unlike `get()`.
  return [...headers];
}

type NativeTransformClass = new (length?: number) => TransformStream<Uint8Array, Uint8Array>;

/**
 * In workerd, hands a streamed body to the runtime through one of its native byte streams.
 *
 * With Content-Length, `FixedLengthStream`: a streamed body is otherwise sent chunked even when
 * Content-Length is set, and a stream that errors still ends with a clean chunked terminator
 * (cloudflare/workerd#6818), so a visitor could not tell a cut-off body from a complete one; with
 * the declared length, a body cut short ends the connection early and the visitor sees an error.
 *
 * Without it (SSE, chunked), `IdentityTransformStream`: workerd never cancels a JavaScript-backed
 * body whose visitor left, so an idle SSE stream kept its origin streaming until the session
 * ended; a native stream errors when the visitor's connection goes, and the pipe then cancels the
 * tunnel's stream, which reaches the client and the origin.
 */
function throughNativeStream(body: ReadableStream<Uint8Array>, headers: Headers): ReadableStream<Uint8Array> {
  const native = globalThis as { FixedLengthStream?: NativeTransformClass; IdentityTransformStream?: NativeTransformClass };
  const length = Number(headers.get("content-length") ?? Number.NaN);
  if (native.FixedLengthStream && Number.isSafeInteger(length) && length >= 0)
    return body.pipeThrough(new native.FixedLengthStream(length));
  if (native.IdentityTransformStream) return body.pipeThrough(new native.IdentityTransformStream());
  return body;
}

/** `framed`: the body will travel as body frames (body-frames.ts). */
export async function toWireRequest(request: Request, url: string = request.url, framed = false): Promise<WireRequest> {
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  return {
    method: request.method,
    url,
    headers: headerList(request.headers),
    body: hasBody ? await toWireBody(request.body, request.headers, framed) : null,
  };
}

/**
 * A signal that aborts with `longLived` without adding a listener to it. The session's signal
 * outlives thousands of requests: Node's `Request` (and our streams) listen on the signal they
 * are given, each listener stays until its request is garbage-collected, and EventTarget checks
 * every listener for duplicates on each add — 20,000 requests cost seconds, growing with each.
 * `AbortSignal.any` links by weak reference instead.
 */
export function scopedTo(longLived: AbortSignal): AbortSignal {
  return AbortSignal.any([longLived]);
}

/** `signal` (the session's end) aborts the request: nobody waits for the answer any more. */
export function fromWireRequest(wire: WireRequest, signal?: AbortSignal): Request {
  const hasBody = wire.body !== null && wire.method !== "GET" && wire.method !== "HEAD";
  return new Request(wire.url, {
    method: wire.method,
    ...(signal ? { signal: scopedTo(signal) } : {}),
    headers: wire.headers,
    body: hasBody ? (wire.body as BodyInit) : null,
    redirect: "manual",
    // Node needs `duplex` to accept a streamed request body.
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}

/**
 * `signal` (the tunnel session's end) cancels a streamed body: a stream the tunnel was sending
 * only notices the session is gone on its next write, and an idle one (SSE) would hold its
 * origin request open for good.
 */
export async function toWireResponse(response: Response, method: string, signal?: AbortSignal, framed = false): Promise<WireResponse> {
  const bodyless = method === "HEAD" || NULL_BODY_STATUSES.has(response.status);
  if (bodyless) await response.body?.cancel();
  const whole = bodyless ? undefined : wholeBodyOf(response);
  const body = bodyless
    ? null
    : whole && whole.byteLength <= INLINE_BODY_LIMIT
      ? whole
      : await toWireBody(response.body, response.headers, framed);
  return {
    status: response.status,
    statusText: response.statusText,
    headers: headerList(response.headers),
    body: body instanceof ReadableStream && signal ? cancelledBy(body, signal) : body,
  };
}

/** `stream`, cancelled (and errored for its reader) when `signal` aborts. */
function cancelledBy(stream: ReadableStream<Uint8Array>, session: AbortSignal): ReadableStream<Uint8Array> {
  const signal = scopedTo(session);
  const reader = stream.getReader();
  let stop: ((reason: unknown) => void) | undefined;
  const release = () => signal.removeEventListener("abort", onAbort);
  const onAbort = () => {
    release();
    void reader.cancel(signal.reason).catch(() => {});
    stop?.(signal.reason);
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        stop = (reason) => controller.error(reason);
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      },
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            release();
            controller.close();
          } else {
            controller.enqueue(value);
          }
        } catch (error) {
          release();
          throw error;
        }
      },
      cancel(reason) {
        release();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

export function fromWireResponse(wire: WireResponse): Response {
  const headers = new Headers(wire.headers);
  // The origin decides the encoding: without "manual", workerd would gzip an identity body for
  // visitors that accept it (CPU in the shard, and not what the origin sent) and would decode or
  // re-encode one that already has a Content-Encoding.
  const init: ResponseInit & { encodeBody: "manual" } = { status: wire.status, statusText: wire.statusText, headers, encodeBody: "manual" };
  let body = NULL_BODY_STATUSES.has(wire.status) ? null : wire.body;
  if (body instanceof ReadableStream) body = throughNativeStream(body, headers);
  return new Response(body as BodyInit | null, init);
}
