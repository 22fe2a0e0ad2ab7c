// Hop compression (docs/architecture.md): the client compresses compressible bodies before they
// cross the laptop's uplink, and the shard either hands them on encoded or decodes them. Both
// sides agree per request through these headers, which only ever travel on the tunnel: the
// shard removes any a visitor sends and the client removes any an origin sends.

/**
 * Request header the shard adds on the hop: the codings it can decode. A client compresses only
 * when it is there, so an older server never receives a body it cannot read.
 */
export const HOP_ACCEPT_HEADER = "x-captun-hop-accept";
/** Response header from the client: the coding it applied to the body for the hop. */
export const HOP_ENCODING_HEADER = "x-captun-hop-encoding";
/** Response header from the client: the body's length before hop compression, when the origin declared one. */
export const HOP_LENGTH_HEADER = "x-captun-hop-length";
/** Every hop header: none of them reaches an origin or a visitor. */
export const HOP_HEADERS: readonly string[] = [HOP_ACCEPT_HEADER, HOP_ENCODING_HEADER, HOP_LENGTH_HEADER];

/** The one hop coding: every browser accepts it and workerd's DecompressionStream decodes it. */
export const HOP_CODING = "gzip";

/** Bodies smaller than this cross as they are: the gzip frame would eat the saving. */
export const HOP_MIN_BYTES = 1024;

const COMPRESSIBLE_APPLICATION = new Set([
  "javascript",
  "x-javascript",
  "ecmascript",
  "json",
  "manifest+json",
  "ld+json",
  "xml",
  "xhtml+xml",
  "wasm",
  "graphql",
  "x-www-form-urlencoded",
]);

/**
 * Whether a body of this `Content-Type` shrinks under gzip: text (but not server-sent events,
 * which must reach the visitor event by event), JavaScript, JSON, XML, SVG, WebAssembly, fonts
 * that are not compressed already. Images, video, archives and woff/woff2 are.
 */
export function isCompressibleType(contentType: string | null): boolean {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "text/event-stream") return false;
  if (type.startsWith("text/")) return true;
  if (type.endsWith("+json") || type.endsWith("+xml")) return true;
  if (type === "font/ttf" || type === "font/otf" || type === "application/vnd.ms-fontobject") return true;
  const [top, sub = ""] = type.split("/");
  return top === "application" && COMPRESSIBLE_APPLICATION.has(sub);
}
