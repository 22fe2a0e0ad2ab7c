// Building the request a replay sends: the captured one, with the user's edits.
import type { CapturedExchange } from "./capture.ts";
import { INBOX_ARRIVED_HEADER, INBOX_ID_HEADER } from "./inbox-paths.ts";

/** Overrides for a replay. Header values replace the original's; `body` is the raw bytes to send. */
export interface ReplayEdits {
  method?: string;
  /** Path and query, e.g. `/webhooks/stripe?x=1`. */
  path?: string;
  headers?: [string, string][] | Record<string, string>;
  body?: Uint8Array | string;
}

/** Raised by `replay` when it cannot send what was asked; the message says why. */
export class CaptureReplayError extends Error {
  override name = "CaptureReplayError";
}

export function replayRequest(source: CapturedExchange, edits: ReplayEdits): Request {
  const url = new URL(source.url);
  if (edits.path !== undefined) {
    if (!edits.path.startsWith("/"))
      throw new CaptureReplayError(`The path to replay must start with "/", not ${JSON.stringify(edits.path)}.`);
    const edited = new URL(edits.path, "http://x");
    url.pathname = edited.pathname;
    url.search = edited.search;
  }
  const method = (edits.method ?? source.method).toUpperCase();
  const headers = new Headers(source.requestHeaders);
  // A replay is not a late delivery, whatever the original was.
  headers.delete(INBOX_ID_HEADER);
  headers.delete(INBOX_ARRIVED_HEADER);
  if (edits.headers) {
    const replaced = Array.isArray(edits.headers) ? edits.headers : Object.entries(edits.headers);
    const names = new Set(replaced.map(([name]) => name.toLowerCase()));
    if (Array.isArray(edits.headers)) for (const name of [...headers.keys()]) if (!names.has(name)) headers.delete(name);
    for (const name of names) headers.delete(name);
    for (const [name, value] of replaced) headers.append(name, value);
  }
  let body: Uint8Array | null = source.requestBody?.bytes ?? null;
  if (edits.body !== undefined) {
    body = typeof edits.body === "string" ? new TextEncoder().encode(edits.body) : edits.body;
  } else if (source.requestBody?.truncated) {
    throw new CaptureReplayError(
      `Request ${source.id} had a ${source.requestBody.size}-byte body, more than was captured: replay it with an edited body.`,
    );
  }
  const hasBody = body !== null && method !== "GET" && method !== "HEAD";
  if (hasBody) headers.set("content-length", String(body!.byteLength));
  else headers.delete("content-length");
  return new Request(url, { method, headers, body: hasBody ? (body as BodyInit) : null, redirect: "manual" });
}
