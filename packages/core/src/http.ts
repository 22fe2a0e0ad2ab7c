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

async function toWireBody(body: ReadableStream<Uint8Array> | null, headers: Headers, read: () => Promise<ArrayBuffer>): Promise<WireBody> {
  if (!body) return null;
  const length = Number(headers.get("content-length") ?? Number.NaN);
  if (length <= INLINE_BODY_LIMIT) return new Uint8Array(await read());
  return rechunk(body);
}

function headerList(headers: Headers): [string, string][] {
  // Iterating Headers yields each Set-Cookie separately, unlike `get()`.
  return [...headers];
}

type FixedLengthStreamClass = new (length: number) => TransformStream<Uint8Array, Uint8Array>;

/**
 * In workerd, a streamed body is sent chunked even when Content-Length is set, and a stream that
 * errors still ends with a clean chunked terminator (cloudflare/workerd#6818): a visitor could not
 * tell a cut-off body from a complete one. Piping through `FixedLengthStream` makes workerd send
 * the declared length, so a body cut short ends the connection early and the visitor sees an error.
 */
function withDeclaredLength(body: ReadableStream<Uint8Array>, headers: Headers): ReadableStream<Uint8Array> {
  const FixedLengthStream = (globalThis as { FixedLengthStream?: FixedLengthStreamClass }).FixedLengthStream;
  const length = Number(headers.get("content-length") ?? Number.NaN);
  if (!FixedLengthStream || !Number.isSafeInteger(length) || length < 0) return body;
  return body.pipeThrough(new FixedLengthStream(length));
}

export async function toWireRequest(request: Request, url: string = request.url): Promise<WireRequest> {
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  return {
    method: request.method,
    url,
    headers: headerList(request.headers),
    body: hasBody ? await toWireBody(request.body, request.headers, () => request.arrayBuffer()) : null,
  };
}

export function fromWireRequest(wire: WireRequest): Request {
  const hasBody = wire.body !== null && wire.method !== "GET" && wire.method !== "HEAD";
  return new Request(wire.url, {
    method: wire.method,
    headers: wire.headers,
    body: hasBody ? (wire.body as BodyInit) : null,
    redirect: "manual",
    // Node needs `duplex` to accept a streamed request body.
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}

export async function toWireResponse(response: Response, method: string): Promise<WireResponse> {
  const bodyless = method === "HEAD" || NULL_BODY_STATUSES.has(response.status);
  if (bodyless) await response.body?.cancel();
  return {
    status: response.status,
    statusText: response.statusText,
    headers: headerList(response.headers),
    body: bodyless ? null : await toWireBody(response.body, response.headers, () => response.arrayBuffer()),
  };
}

export function fromWireResponse(wire: WireResponse): Response {
  const headers = new Headers(wire.headers);
  // The origin decides the encoding: without "manual", workerd would gzip an identity body for
  // visitors that accept it (CPU in the shard, and not what the origin sent) and would decode or
  // re-encode one that already has a Content-Encoding.
  const init: ResponseInit & { encodeBody: "manual" } = { status: wire.status, statusText: wire.statusText, headers, encodeBody: "manual" };
  let body = NULL_BODY_STATUSES.has(wire.status) ? null : wire.body;
  if (body instanceof ReadableStream) body = withDeclaredLength(body, headers);
  return new Response(body as BodyInit | null, init);
}
