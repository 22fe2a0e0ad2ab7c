// What a visitor sees when captun itself answers: a short page and a machine-readable code.
import { ERROR_HEADER } from "./protocol.ts";

/** Error codes sent in the `x-captun-error` header. */
export type CaptunErrorCode =
  | "tunnel-not-found"
  | "tunnel-offline"
  | "origin-error"
  /** The client's session ended (dropped for silence, its process killed) before it answered. */
  | "tunnel-dropped"
  | "origin-timeout"
  | "body-too-large"
  | "uri-too-long"
  | "headers-too-large"
  | "unauthorized"
  | "bad-request"
  | "websocket-unsupported"
  | "response-headers-too-large"
  | "dev-endpoint-blocked"
  | "access-required"
  | "link-expired"
  | "link-revoked"
  | "link-invalid"
  /** A connect carried a browser `Origin`: web pages may not open tunnels. */
  | "cross-site-connect"
  /** The server has no `CONNECT_SECRET` and refuses every connect. */
  | "connect-secret-unset"
  /** Client and server protocol versions differ. */
  | "protocol-mismatch"
  /** Too many wrong connect secrets from this address or for this name. */
  | "too-many-attempts"
  /** The tunnel has as many requests in flight as it may. */
  | "too-many-requests"
  /** The visitor's request body sent nothing for too long. */
  | "body-timeout"
  /** The local server's front could not reach its workerd (it is stopping or restarting). */
  | "server-unreachable"
  /** A tunnel's webhook inbox is full (docs/inspector.md). */
  | "inbox-full";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  413: "Content Too Large",
  414: "URI Too Long",
  426: "Upgrade Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * An error answer for a visitor: short plain text (a tiny HTML page for browsers), the error code
 * in `x-captun-error`, never internals.
 */
export function errorResponse(
  request: Request | undefined,
  status: number,
  code: CaptunErrorCode,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const title = `${status} ${TITLES[status] ?? "Error"}`;
  const wantsHtml = request?.headers.get("accept")?.includes("text/html") ?? false;
  const body = wantsHtml
    ? `<!doctype html><meta charset="utf-8"><title>${title}</title><h1>${title}</h1><p>${escapeHtml(message)}</p><p><small>captun</small></p>\n`
    : `${title}: ${message}\n`;
  return new Response(request?.method === "HEAD" ? null : body, {
    status,
    headers: {
      "content-type": wantsHtml ? "text/html; charset=utf-8" : "text/plain; charset=utf-8",
      "cache-control": "no-store",
      [ERROR_HEADER]: code,
      ...headers,
    },
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
