import { ERROR_HEADER } from "./protocol.ts";

/** Base class of every error captun throws; recognise them by `name`, which survives realms. */
export class CaptunError extends Error {
  override name = "CaptunError";
}

/** The server refused the connect secret (HTTP 401). Retrying with the same secret cannot help. */
export class CaptunAuthError extends CaptunError {
  override name = "CaptunAuthError";
}

/** The tunnel could not be opened: server unreachable, bad URL, or an unexpected answer. */
export class CaptunConnectError extends CaptunError {
  override name = "CaptunConnectError";
  /** HTTP status the server answered with, when it answered. */
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

/** Error codes sent in the `x-captun-error` header. */
export type CaptunErrorCode =
  | "tunnel-not-found"
  | "tunnel-offline"
  | "origin-error"
  | "origin-timeout"
  | "body-too-large"
  | "uri-too-long"
  | "headers-too-large"
  | "unauthorized"
  | "bad-request"
  | "websocket-unsupported"
  | "response-headers-too-large"
  | "dev-endpoint-blocked"
  | "inbox-full";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  413: "Content Too Large",
  414: "URI Too Long",
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
