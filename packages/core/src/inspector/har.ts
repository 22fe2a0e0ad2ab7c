// HAR 1.2 export (http://www.softwareishard.com/blog/har-12-spec/) of captured exchanges, with the
// same redaction as the inspector's other views. Fields HAR requires but captun cannot know
// (header sizes on the wire, DNS/connect timings) carry HAR's "unknown" value, -1.
import type { CapturedExchange } from "../capture.ts";
import { bodyView, header, redactHeaders, redactUrl } from "./views.ts";

type NameValue = { name: string; value: string };

const pairs = (headers: [string, string][]): NameValue[] => headers.map(([name, value]) => ({ name, value }));

function cookies(headers: [string, string][], name: "cookie" | "set-cookie"): NameValue[] {
  const found: NameValue[] = [];
  for (const [key, value] of headers) {
    if (key.toLowerCase() !== name) continue;
    const parts = name === "cookie" ? value.split(";") : [value.split(";")[0] ?? ""];
    for (const part of parts) {
      const at = part.indexOf("=");
      if (at > 0) found.push({ name: part.slice(0, at).trim(), value: part.slice(at + 1).trim() });
    }
  }
  return found;
}

export function harLog(exchanges: CapturedExchange[], reveal: boolean, version: string) {
  return {
    log: {
      version: "1.2",
      creator: { name: "captun", version },
      pages: [],
      entries: exchanges
        .slice()
        .sort((a, b) => a.startedAt - b.startedAt)
        .map((exchange) => harEntry(exchange, reveal)),
    },
  };
}

function harEntry(exchange: CapturedExchange, reveal: boolean) {
  const url = redactUrl(exchange.url, reveal);
  const requestHeaders = redactHeaders(exchange.requestHeaders, reveal);
  const responseHeaders = redactHeaders(exchange.responseHeaders ?? [], reveal);
  const requestBody = bodyView(exchange.requestBody, exchange.requestHeaders);
  const responseBody = bodyView(exchange.responseBody, exchange.responseHeaders);
  // HAR requires send, wait and receive to be known (non-negative); unfinished parts count as 0.
  const wait = exchange.firstByteAt === undefined ? 0 : exchange.firstByteAt - exchange.startedAt;
  const receive = exchange.endedAt === undefined || exchange.firstByteAt === undefined ? 0 : exchange.endedAt - exchange.firstByteAt;
  const requestType = header(exchange.requestHeaders, "content-type") ?? "application/octet-stream";
  return {
    startedDateTime: new Date(exchange.startedAt).toISOString(),
    time: wait + receive,
    request: {
      method: exchange.method,
      url,
      httpVersion: "HTTP/1.1",
      cookies: reveal ? cookies(exchange.requestHeaders, "cookie") : [],
      headers: pairs(requestHeaders),
      queryString: [...new URL(url).searchParams].map(([name, value]) => ({ name, value })),
      ...(requestBody
        ? {
            postData: {
              mimeType: requestType,
              // HAR 1.2 has no encoding for postData: binary bodies are given as base64 with a note.
              text: requestBody.text,
              ...(requestBody.encoding === "base64" ? { comment: "base64" } : {}),
              ...(requestType.startsWith("application/x-www-form-urlencoded") && requestBody.encoding === "utf8"
                ? { params: [...new URLSearchParams(requestBody.text)].map(([name, value]) => ({ name, value })) }
                : {}),
            },
          }
        : {}),
      headersSize: -1,
      bodySize: requestBody?.size ?? 0,
    },
    response: {
      status: exchange.status ?? 0,
      statusText: exchange.statusText ?? "",
      httpVersion: "HTTP/1.1",
      cookies: reveal ? cookies(exchange.responseHeaders ?? [], "set-cookie") : [],
      headers: pairs(responseHeaders),
      content: {
        size: responseBody?.size ?? 0,
        mimeType: header(exchange.responseHeaders, "content-type") ?? "",
        ...(responseBody ? { text: responseBody.text } : {}),
        ...(responseBody?.encoding === "base64" ? { encoding: "base64" } : {}),
        ...(responseBody?.truncated ? { comment: `truncated: ${responseBody.captured} of ${responseBody.size} bytes captured` } : {}),
      },
      redirectURL: header(exchange.responseHeaders, "location") ?? "",
      headersSize: -1,
      bodySize: responseBody?.size ?? -1,
      ...(exchange.error ? { _error: exchange.error } : {}),
    },
    cache: {},
    timings: { blocked: -1, dns: -1, connect: -1, send: 0, wait, receive, ssl: -1 },
    ...(exchange.replayOf ? { _replayOf: exchange.replayOf } : {}),
    ...(exchange.inbox ? { _deliveredLate: { arrivedAt: new Date(exchange.inbox.arrivedAt).toISOString() } } : {}),
    comment: `captun #${exchange.id} (${exchange.outcome})`,
  };
}
