// The client's half of hop compression (hop-encoding.ts): every Fetcher a tunnel serves — an
// origin, a dev server, a function — is wrapped here, in the one place all of them pass through.
import { pipeline, Readable } from "node:stream";
import { promisify } from "node:util";
import { constants, createGzip, gzip } from "node:zlib";
import { webStreamFromNode } from "./_node-body.ts";
import { responseWithBytes } from "./_whole-body.ts";
import {
  HOP_ACCEPT_HEADER,
  HOP_CODING,
  HOP_ENCODING_HEADER,
  HOP_HEADERS,
  HOP_LENGTH_HEADER,
  HOP_MIN_BYTES,
  isCompressibleType,
} from "./hop-encoding.ts";
import type { Fetcher } from "./protocol.ts";

/**
 * gzip level 4: measured on React DOM's 1.2 MB development build and Vite's client, ~100 MiB/s
 * for 18–31 % of the size, where level 6 halves the speed for 1 % more and level 1 keeps 3 % more.
 * A home uplink moves 2–6 MB/s, so the cost is noise beside the bytes saved.
 */
const GZIP_LEVEL = 4;
/** Bodies up to this size are compressed whole when complete in time, so they keep a length (and go inline when small). */
const WHOLE_LIMIT = 8 * 1024 * 1024;
/**
 * How long a body may take to arrive before compression turns to streaming: a dev server writes a
 * module in one go, while a body that trickles (a slow render, a long poll) must not hold its
 * headers back. A body without a declared length is more often a stream (a streamed page), so it
 * gets less time.
 */
const WHOLE_WAIT_MS = 20;
const CHUNKED_WAIT_MS = 3;
const TIMED_OUT = Symbol("timed out");
const gzipWhole = promisify(gzip);

/**
 * Wraps the tunnel's Fetcher: requests on which the server offered hop compression get their
 * compressible responses gzip-compressed for the hop, marked with {@link HOP_ENCODING_HEADER}.
 * The Fetcher itself never sees the hop headers.
 */
export function withHopCompression(fetcher: Fetcher): Fetcher {
  return async (request) => {
    const offered = request.headers.get(HOP_ACCEPT_HEADER);
    if (offered === null) return fetcher(request);
    request.headers.delete(HOP_ACCEPT_HEADER);
    const response = withoutHopHeaders(await fetcher(request));
    const accepts = offered.split(",").some((coding) => coding.trim().toLowerCase() === HOP_CODING);
    return accepts && compressible(request, response) ? compressForHop(response) : response;
  };
}

/** An origin must not be able to fake a hop header (the shard would try to decode its body). */
function withoutHopHeaders(response: Response): Response {
  if (!HOP_HEADERS.some((name) => response.headers.has(name))) return response;
  // A copy: a Fetcher may return a response whose headers are immutable (one from `fetch()`).
  const headers = new Headers(response.headers);
  for (const name of HOP_HEADERS) headers.delete(name);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function compressible(request: Request, response: Response): boolean {
  const { headers, status } = response;
  if (!response.body || request.method === "HEAD" || status < 200 || [204, 205, 206, 304].includes(status)) return false;
  const coding = headers.get("content-encoding");
  if ((coding && coding.toLowerCase() !== "identity") || headers.has("content-range")) return false;
  // RFC 9110 §7.7: an intermediary must not change the body of a no-transform response.
  if (/(?:^|,)\s*no-transform\s*(?:,|$)/i.test(headers.get("cache-control") ?? "")) return false;
  const length = Number(headers.get("content-length") ?? Number.NaN);
  if (length < HOP_MIN_BYTES) return false;
  return isCompressibleType(headers.get("content-type"));
}

/** The response with its body gzip-compressed: whole when it is complete at once, else streamed with a flush per chunk. */
async function compressForHop(response: Response): Promise<Response> {
  const headers = new Headers(response.headers);
  const init = { status: response.status, statusText: response.statusText, headers };
  const length = headers.get("content-length");
  const declared = length === null ? undefined : Number(length);
  const body = response.body as ReadableStream<Uint8Array>;
  const read =
    declared === undefined || declared <= WHOLE_LIMIT
      ? await readWhole(body, declared ?? WHOLE_LIMIT, declared === undefined ? CHUNKED_WAIT_MS : WHOLE_WAIT_MS)
      : { rest: body, parts: [] };
  if ("bytes" in read && read.bytes.byteLength < HOP_MIN_BYTES) {
    // A short chunked body: it crosses as it is, now with its length.
    headers.set("content-length", String(read.bytes.byteLength));
    return responseWithBytes(read.bytes, init);
  }
  headers.delete("content-encoding");
  headers.delete("content-length");
  if (length !== null) headers.set(HOP_LENGTH_HEADER, length);
  headers.set(HOP_ENCODING_HEADER, HOP_CODING);
  if ("bytes" in read) {
    const compressed = await gzipWhole(read.bytes, { level: GZIP_LEVEL });
    headers.set(HOP_LENGTH_HEADER, String(read.bytes.byteLength));
    headers.set("content-length", String(compressed.byteLength));
    return responseWithBytes(compressed, init);
  }
  return new Response(gzipStream(read.parts, read.rest), init);
}

type Read = { bytes: Uint8Array<ArrayBuffer> } | { parts: Uint8Array[]; rest: ReadableStream<Uint8Array> };

/** The whole body when it ends within `waitMs` and `limit` bytes; else what came so far and the rest. */
async function readWhole(body: ReadableStream<Uint8Array>, limit: number, waitMs: number): Promise<Read> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), waitMs);
  });
  try {
    for (;;) {
      const next = reader.read();
      const result = await Promise.race([next, deadline]);
      if (result === TIMED_OUT) return { parts, rest: rest(reader, next) };
      if (result.done) return { bytes: Buffer.concat(parts, size) };
      parts.push(result.value);
      size += result.value.byteLength;
      // Longer than declared (the origin is wrong: the stream path lets that surface as it would have) or too long to hold.
      if (size > limit) return { parts, rest: rest(reader, undefined) };
    }
  } finally {
    clearTimeout(timer);
  }
}

function rest(reader: ReadableStreamDefaultReader<Uint8Array>, pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined) {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = pending ?? reader.read();
        pending = undefined;
        const { done, value } = await next;
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

/**
 * A gzip stream over `parts` then `rest`, flushed after every chunk (Z_SYNC_FLUSH keeps the
 * dictionary, so the ratio barely suffers): a streamed HTML page reaches the visitor piece by
 * piece, as it left the origin. Cancelling it cancels the origin's body; an origin that fails
 * mid-body fails it.
 */
function gzipStream(parts: Uint8Array[], rest: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const source = Readable.from(
    (async function* () {
      yield* parts;
      yield* rest as unknown as AsyncIterable<Uint8Array>;
    })(),
    { objectMode: false },
  );
  const compressor = createGzip({ level: GZIP_LEVEL, flush: constants.Z_SYNC_FLUSH });
  pipeline(source, compressor, (error) => {
    if (error) compressor.destroy(error);
  });
  return webStreamFromNode(compressor);
}
