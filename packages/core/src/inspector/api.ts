// The inspector's HTTP surface (docs/inspector.md): the page and its JSON API, as a Fetcher-style
// handler that the CLI's own server and the dev-server middleware both mount. Local-only: it
// answers only requests addressed to a loopback host, and state-changing requests only from its
// own page (no other site can replay or clear through the browser).
import { readFileSync } from "node:fs";
import { type Capture, CaptureReplayError, type ReplayEdits } from "../capture.ts";
import { harLog } from "./har.ts";
import { INSPECTOR_PAGE } from "./page.ts";
import { detailView, REDACTED, summaryView } from "./views.ts";

export interface InspectorHandlerOptions {
  /** Where the inspector is mounted, e.g. `/__captun` (no trailing slash); `""` for the root. */
  basePath?: string;
}

export type InspectorHandler = (request: Request) => Promise<Response>;

const VERSION = (() => {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
})();

export function createInspectorHandler(capture: Capture, options: InspectorHandlerOptions = {}): InspectorHandler {
  const base = options.basePath ?? "";
  return async (request) => {
    const url = new URL(request.url);
    if (!isLoopbackHost(url.hostname)) return text(421, "The captun inspector only answers on this machine's loopback address.");
    const mutating = request.method !== "GET" && request.method !== "HEAD";
    if (mutating && !sameOrigin(request, url)) return text(403, "The captun inspector only takes changes from its own page.");
    if (!url.pathname.startsWith(base)) return text(404, "Not found.");
    const path = url.pathname.slice(base.length) || "/";
    const reveal = url.searchParams.get("reveal") === "1";

    if (path === "/" && request.method === "GET") {
      return new Response(INSPECTOR_PAGE, { headers: { "content-type": "text/html; charset=utf-8", ...NO_STORE, ...PAGE_SECURITY } });
    }
    if (path === "/api/requests") {
      if (request.method === "GET") return json(capture.list().map((exchange) => summaryView(exchange, reveal)));
      if (request.method === "DELETE") {
        capture.clear();
        return new Response(null, { status: 204 });
      }
    }
    if (path === "/api/events" && request.method === "GET") return events(capture);
    if (path === "/api/har" && request.method === "GET") {
      return json(harLog(capture.list(), reveal, VERSION), 200, { "content-disposition": 'attachment; filename="captun.har"' });
    }
    const match = /^\/api\/requests\/([^/]+)(\/replay)?$/.exec(path);
    if (match) {
      const exchange = capture.get(decodeURIComponent(match[1]!));
      if (!exchange) return text(404, `No captured request ${match[1]} (cleared, or pushed out by newer ones).`);
      if (!match[2] && request.method === "GET") return json(detailView(exchange, reveal));
      if (match[2] && request.method === "POST") {
        let edits: ReplayEdits;
        try {
          edits = restoreRedacted(parseEdits(await request.text()), exchange.requestHeaders);
        } catch (error) {
          return text(400, (error as Error).message);
        }
        try {
          return json(detailView(await capture.replay(exchange.id, edits), reveal));
        } catch (error) {
          if (error instanceof CaptureReplayError) return text(409, error.message);
          return text(502, `The origin did not answer the replay: ${(error as Error).message}`);
        }
      }
    }
    return text(404, "Not found.");
  };
}

/** Replay overrides from a JSON body: `method`, `path`, `headers` (list of pairs or object), `body` (+ `bodyEncoding: "base64"`). */
function parseEdits(body: string): ReplayEdits {
  if (!body.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error('Replay edits must be JSON, e.g. {"body": "…"}.');
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("Replay edits must be a JSON object.");
  const raw = parsed as Record<string, unknown>;
  const edits: ReplayEdits = {};
  if (raw.method !== undefined) {
    if (typeof raw.method !== "string" || !/^[A-Za-z]+$/.test(raw.method)) throw new Error('"method" must be an HTTP method name.');
    edits.method = raw.method;
  }
  if (raw.path !== undefined) {
    if (typeof raw.path !== "string") throw new Error('"path" must be a string starting with "/".');
    edits.path = raw.path;
  }
  if (raw.headers !== undefined) {
    const pairs = Array.isArray(raw.headers) ? raw.headers : Object.entries(raw.headers as object);
    if (!pairs.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every((part) => typeof part === "string"))) {
      throw new Error('"headers" must be [[name, value], …] or {name: value}.');
    }
    edits.headers = pairs as [string, string][];
  }
  if (raw.body !== undefined) {
    if (typeof raw.body !== "string") throw new Error('"body" must be a string (base64 with "bodyEncoding": "base64").');
    edits.body = raw.bodyEncoding === "base64" ? new Uint8Array(Buffer.from(raw.body, "base64")) : raw.body;
  }
  return edits;
}

/** Edited headers still showing {@link REDACTED} (the page shows them so) get the captured values back. */
function restoreRedacted(edits: ReplayEdits, captured: [string, string][]): ReplayEdits {
  if (!Array.isArray(edits.headers)) return edits;
  const headers = edits.headers.flatMap(([name, value]): [string, string][] =>
    value === REDACTED ? captured.filter(([key]) => key.toLowerCase() === name.toLowerCase()) : [[name, value]],
  );
  return { ...edits, headers };
}

/** Server-sent events: `change` whenever the list changed (the page then fetches what it shows). */
function events(capture: Capture): Response {
  let stop = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const encoder = new TextEncoder();
      controller.enqueue(encoder.encode("retry: 1000\n\n"));
      stop = capture.subscribe((event) => {
        const id = event.type === "cleared" ? null : event.exchange.id;
        controller.enqueue(encoder.encode(`event: change\ndata: ${JSON.stringify({ type: event.type, id })}\n\n`));
      });
    },
    cancel() {
      stop();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream", ...NO_STORE } });
}

export function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare.endsWith(".localhost") || bare === "::1" || /^127(?:\.\d{1,3}){3}$/.test(bare);
}

function sameOrigin(request: Request, url: URL): boolean {
  const origin = request.headers.get("origin");
  if (origin) return origin === url.origin;
  return request.headers.get("sec-fetch-site") !== "cross-site";
}

const NO_STORE = { "cache-control": "no-store" };
const PAGE_SECURITY = {
  "content-security-policy":
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data: blob:; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function json(value: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(`${JSON.stringify(value, null, 2)}\n`, {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...NO_STORE, ...headers },
  });
}

function text(status: number, message: string): Response {
  return new Response(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8", ...NO_STORE } });
}
