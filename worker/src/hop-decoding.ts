import { HOP_CODING, HOP_ENCODING_HEADER, HOP_LENGTH_HEADER } from "captun/internal";
import { acceptsGzip } from "./accept-encoding.ts";

/**
 * Content types Cloudflare's edge (and Miniflare's entry Worker under `wrangler dev`) encodes for
 * visitors itself. Behind the edge a Worker never sees the visitor's own `Accept-Encoding` (it is
 * replaced with `br, gzip`); for these types the edge turns a gzip body into what the visitor
 * takes, for the others it passes the body on as it is, so those must leave the Worker decoded.
 * (The local server's front passes the visitor's own header through, which this rule also serves.)
 * The list is Cloudflare's (developers.cloudflare.com, "Content compression"), as Miniflare copies it.
 */
const EDGE_RECODED_TYPES = new Set([
  "text/html",
  "text/richtext",
  "text/plain",
  "text/css",
  "text/x-script",
  "text/x-component",
  "text/x-java-source",
  "text/x-markdown",
  "application/javascript",
  "application/x-javascript",
  "text/javascript",
  "text/js",
  "image/x-icon",
  "image/vnd.microsoft.icon",
  "application/x-perl",
  "application/x-httpd-cgi",
  "text/xml",
  "application/xml",
  "application/rss+xml",
  "application/vnd.api+json",
  "application/x-protobuf",
  "application/json",
  "multipart/bag",
  "multipart/mixed",
  "application/xhtml+xml",
  "font/ttf",
  "font/otf",
  "font/x-woff",
  "image/svg+xml",
  "application/vnd.ms-fontobject",
  "application/ttf",
  "application/x-ttf",
  "application/otf",
  "application/x-otf",
  "application/truetype",
  "application/opentype",
  "application/x-opentype",
  "application/font-woff",
  "application/eot",
  "application/font",
  "application/font-sfnt",
  "application/wasm",
  "application/javascript-binast",
  "application/manifest+json",
  "application/ld+json",
  "application/graphql+json",
  "application/geo+json",
]);

/**
 * The shard's half of hop compression (captun's hop-encoding.ts): a body the client gzipped for
 * the uplink goes on still gzipped (Content-Encoding set, `Vary: Accept-Encoding`) when the
 * request said gzip and the edge in front re-encodes that type for visitors who do not take it;
 * otherwise it is decoded here, with the origin's own length again. The hop headers never reach
 * the visitor.
 */
export function forVisitor(response: Response, acceptEncoding: string | null): Response {
  const coding = response.headers.get(HOP_ENCODING_HEADER);
  if (coding === null) return response;
  // Only what the shard offered comes back; anything else is a broken client.
  if (coding !== HOP_CODING) throw new TypeError(`the client sent a body in ${coding}, which was not offered`);
  const headers = new Headers(response.headers);
  const length = headers.get(HOP_LENGTH_HEADER);
  headers.delete(HOP_ENCODING_HEADER);
  headers.delete(HOP_LENGTH_HEADER);
  if (!/(?:^|,)\s*accept-encoding\s*(?:,|$)/i.test(headers.get("vary") ?? "")) headers.append("vary", "Accept-Encoding");
  const init = { status: response.status, statusText: response.statusText, headers, encodeBody: "manual" as const };
  // Matched as the edge matches it: the type before any parameter, as written.
  const type = (headers.get("content-type") ?? "").split(";")[0] ?? "";
  const encoded = acceptsGzip(acceptEncoding) && EDGE_RECODED_TYPES.has(type);
  const etag = headers.get("etag");
  // A gzip body is another representation: its validator may not claim byte equality with the original.
  if (encoded && etag && !etag.startsWith("W/")) headers.set("etag", `W/${etag}`);
  if (!response.body || response.status === 304) {
    headers.delete("content-length");
    return new Response(null, init);
  }
  if (encoded) {
    headers.set("content-encoding", HOP_CODING);
    return new Response(response.body, init);
  }
  headers.delete("content-length");
  let body = response.body.pipeThrough(new DecompressionStream("gzip"));
  body = throughNative(body, length === null ? Number.NaN : Number(length));
  if (length !== null) headers.set("content-length", length);
  return new Response(body, init);
}

type NativeTransformClass = new (length?: number) => TransformStream<Uint8Array, Uint8Array>;

/**
 * Through one of workerd's native streams, as captun's http.ts does for every tunnel body: with
 * the declared length a decoded body cut short ends the visitor's connection with an error, and
 * a native stream notices a visitor who left (a JavaScript-backed body is never cancelled).
 */
function throughNative(body: ReadableStream<Uint8Array>, length: number): ReadableStream<Uint8Array> {
  const native = globalThis as { FixedLengthStream?: NativeTransformClass; IdentityTransformStream?: NativeTransformClass };
  if (native.FixedLengthStream && Number.isSafeInteger(length) && length >= 0)
    return body.pipeThrough(new native.FixedLengthStream(length));
  if (native.IdentityTransformStream) return body.pipeThrough(new native.IdentityTransformStream());
  return body;
}
