// Found by an attacker's battery: `new URL("//other:3001/x", origin)` leaves the origin, so a
// visitor's path must never be resolved against it. The upstream request is built from parts —
// the configured origin, its base path, then the visitor's path and query as they are — and the
// path only ever travels as a request target on a connection already aimed at the origin.
import { errorResponse } from "./error-response.ts";

/**
 * The most response-header bytes (names and values) captun passes on from an origin: Node and
 * undici stop at 16 KiB by default, Cloudflare's edge allows more, apps with large cookies or CSPs
 * need it.
 */
export const MAX_RESPONSE_HEADER_BYTES = 64 * 1024;

/** undici's and Node's `maxHeaderSize` for {@link MAX_RESPONSE_HEADER_BYTES}: undici fails at `>=`. */
export const ORIGIN_MAX_HEADER_SIZE = MAX_RESPONSE_HEADER_BYTES + 1;

/** The origin's base path (`/app` for `http://localhost:3000/app/`, else ""). */
export function originBasePath(origin: URL): string {
  return origin.pathname.replace(/\/$/, "");
}

/**
 * The request target (path and query) a visitor's request gets on the origin: the base path, then
 * the visitor's path and query unchanged, so `//host/x` or `/%2F%2F` stay paths of the origin.
 */
export function originRequestTarget(basePath: string, requestUrl: string): string {
  const { pathname, search } = new URL(requestUrl);
  return basePath + pathname + search;
}

/** True for the error undici and Node raise when an origin's response headers exceed the limit. */
export function isHeadersOverflow(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "UND_ERR_HEADERS_OVERFLOW" || code === "HPE_HEADER_OVERFLOW";
}

/** The answer for an origin whose response headers exceed {@link MAX_RESPONSE_HEADER_BYTES}. */
export function headersTooLargeResponse(request: Request): Response {
  return errorResponse(
    request,
    502,
    "response-headers-too-large",
    `The origin answered with more than ${MAX_RESPONSE_HEADER_BYTES / 1024} KiB of response headers, the most captun passes on.`,
  );
}
