// The JSON shapes the inspector API answers with, and the redaction applied to them: what a page,
// a script or a HAR file shows never carries credentials unless the user asked to reveal them.
import type { CapturedBody, CapturedExchange } from "../capture.ts";

export const REDACTED = "[redacted]";

/** Headers that carry credentials: their values are hidden unless revealed. */
const SECRET_HEADERS = new Set(["authorization", "proxy-authorization", "cookie", "set-cookie"]);

/** captun's own credentials: any `captun-…`/`x-captun-…` header or query parameter naming a token, secret, passcode or share link. */
const CAPTUN_SECRET_NAME = /^(?:x-)?captun[-_].*(?:token|secret|passcode|share|key)/i;

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase()) || CAPTUN_SECRET_NAME.test(name);
}

export function redactHeaders(headers: [string, string][], reveal: boolean): [string, string][] {
  if (reveal) return headers;
  return headers.map(([name, value]) => [name, isSecretHeader(name) ? REDACTED : value]);
}

export function redactUrl(url: string, reveal: boolean): string {
  if (reveal) return url;
  const parsed = new URL(url);
  let changed = false;
  for (const name of [...new Set(parsed.searchParams.keys())]) {
    if (CAPTUN_SECRET_NAME.test(name)) {
      parsed.searchParams.set(name, REDACTED);
      changed = true;
    }
  }
  return changed ? parsed.href : url;
}

/** A body as JSON: UTF-8 text when it is text, else base64. */
export interface BodyView {
  size: number;
  truncated: boolean;
  encoding: "utf8" | "base64";
  text: string;
  /** The captured bytes' count (less than `size` when truncated). */
  captured: number;
}

const TEXT_TYPE = /^(?:text\/|application\/(?:[\w.+-]*\+)?(?:json|xml|javascript|x-www-form-urlencoded|graphql)|image\/svg\+xml)/i;

export function bodyView(body: CapturedBody | null | undefined, headers: [string, string][] | undefined): BodyView | null {
  if (!body) return null;
  const type = header(headers, "content-type") ?? "";
  const encoded = (header(headers, "content-encoding") ?? "identity") !== "identity";
  let text: string | undefined;
  if (!encoded && (TEXT_TYPE.test(type) || type === "")) {
    try {
      // A truncated body may end inside a character: decode what is whole.
      text = new TextDecoder("utf-8", { fatal: !body.truncated }).decode(body.bytes);
    } catch {
      text = undefined;
    }
  }
  return {
    size: body.size,
    truncated: body.truncated,
    captured: body.bytes.byteLength,
    encoding: text === undefined ? "base64" : "utf8",
    text: text ?? Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength).toString("base64"),
  };
}

export function header(headers: [string, string][] | undefined, name: string): string | undefined {
  return headers?.find(([key]) => key.toLowerCase() === name)?.[1];
}

/** One line of `GET /api/requests`. */
export function summaryView(exchange: CapturedExchange, reveal: boolean) {
  const shown = new URL(redactUrl(exchange.url, reveal));
  return {
    id: exchange.id,
    method: exchange.method,
    path: shown.pathname + shown.search,
    status: exchange.status ?? null,
    durationMs: exchange.endedAt === undefined ? null : exchange.endedAt - exchange.startedAt,
    startedAt: new Date(exchange.startedAt).toISOString(),
    outcome: exchange.outcome,
    error: exchange.error ?? null,
    replayOf: exchange.replayOf ?? null,
    deliveredLate: exchange.inbox ? { inboxId: exchange.inbox.id, arrivedAt: new Date(exchange.inbox.arrivedAt).toISOString() } : null,
    visitorAddress: exchange.visitorAddress ?? null,
  };
}

/** `GET /api/requests/:id`: everything captured, bodies as {@link BodyView}. */
export function detailView(exchange: CapturedExchange, reveal: boolean) {
  return {
    ...summaryView(exchange, reveal),
    url: redactUrl(exchange.url, reveal),
    firstByteAt: exchange.firstByteAt === undefined ? null : new Date(exchange.firstByteAt).toISOString(),
    endedAt: exchange.endedAt === undefined ? null : new Date(exchange.endedAt).toISOString(),
    timings: {
      waitMs: exchange.firstByteAt === undefined ? null : exchange.firstByteAt - exchange.startedAt,
      receiveMs: exchange.endedAt === undefined || exchange.firstByteAt === undefined ? null : exchange.endedAt - exchange.firstByteAt,
    },
    request: {
      headers: redactHeaders(exchange.requestHeaders, reveal),
      body: bodyView(exchange.requestBody, exchange.requestHeaders),
    },
    response:
      exchange.status === undefined
        ? null
        : {
            status: exchange.status,
            statusText: exchange.statusText ?? "",
            headers: redactHeaders(exchange.responseHeaders ?? [], reveal),
            body: bodyView(exchange.responseBody, exchange.responseHeaders),
          },
  };
}
