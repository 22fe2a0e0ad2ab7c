// Serving the inspector from Node: its own loopback server for `captun <port>`, and a handler for
// dev servers' local URL at `/__captun/` (connect middleware for Vite and Astro, the HTTP server's
// `request` listener for Next).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Capture } from "../capture.ts";
import { createInspectorHandler, type InspectorHandler } from "./api.ts";

/** Where dev servers serve the inspector on their local URL. */
export const DEV_INSPECTOR_PATH = "/__captun";

/** Whether a request target (path and query) is for the inspector mounted at `basePath`. */
export function isInspectorPath(target: string | undefined, basePath = DEV_INSPECTOR_PATH): boolean {
  const path = (target ?? "/").split("?")[0]!;
  return path === basePath || path.startsWith(`${basePath}/`);
}

/**
 * Answers one Node request with the inspector. Connections from anywhere but this machine are
 * refused: a dev server started with `--host` listens on the network, its inspector must not.
 */
export async function serveInspectorRequest(
  handler: InspectorHandler,
  req: IncomingMessage,
  res: ServerResponse,
  basePath = "",
): Promise<void> {
  if (!isLoopbackAddress(req.socket.remoteAddress)) {
    res.writeHead(403, { "content-type": "text/plain; charset=utf-8" }).end("The captun inspector only answers on this machine.\n");
    return;
  }
  if (req.url === basePath && basePath) {
    res.writeHead(308, { location: `${basePath}/` }).end();
    return;
  }
  let request: Request;
  try {
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    request = new Request(new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`), {
      method: req.method,
      headers: Object.entries(req.headers).flatMap(([name, value]) =>
        value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((v) => [name, v] as [string, string]),
      ),
      body: hasBody ? ((await readAll(req)) as BodyInit) : null,
    });
  } catch {
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("Bad request.\n");
    return;
  }
  const response = await handler(request);
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  res.once("close", () => void reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise((resolve) => res.once("drain", resolve));
    }
    res.end();
  } catch {
    res.destroy();
  }
}

/**
 * Connect middleware serving the inspector at `/__captun/` (Vite's and Astro's `server.middlewares`).
 * Everything else goes on to the dev server.
 */
export function inspectorMiddleware(capture: Capture) {
  const handler = createInspectorHandler(capture, { basePath: DEV_INSPECTOR_PATH });
  return (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
    if (!isInspectorPath(req.url)) {
      next();
      return;
    }
    serveInspectorRequest(handler, req, res, DEV_INSPECTOR_PATH).catch(next);
  };
}

/**
 * Puts the inspector at `/__captun/` in front of every `request` listener of `server`, for
 * frameworks that give plugins no middleware (Next). Returns the function that takes it out again.
 */
export function mountInspectorOnServer(server: Server, capture: Capture): () => void {
  const middleware = inspectorMiddleware(capture);
  const listeners = server.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => void)[];
  const front = (req: IncomingMessage, res: ServerResponse) => {
    middleware(req, res, () => {
      for (const listener of listeners) listener.call(server, req, res);
    });
  };
  server.removeAllListeners("request");
  server.on("request", front);
  return () => {
    server.off("request", front);
    for (const listener of listeners) server.on("request", listener);
  };
}

export interface InspectorServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  close(): Promise<void>;
}

/** Tries this many ports from the one asked for when it is taken. */
const PORT_TRIES = 20;

/**
 * The inspector on its own server on 127.0.0.1 (`captun <port>`): on `port`, or the next free one
 * above it when it is taken.
 */
export async function startInspectorServer(capture: Capture, options: { port?: number; host?: string } = {}): Promise<InspectorServer> {
  const host = options.host ?? "127.0.0.1";
  const first = options.port ?? 4141;
  const handler = createInspectorHandler(capture);
  const server = createServer((req, res) => {
    serveInspectorRequest(handler, req, res).catch(() => res.destroy());
  });
  let port = first;
  for (let attempt = 0; ; attempt++) {
    try {
      await listen(server, port, host);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || first === 0 || attempt + 1 >= PORT_TRIES || port >= 65535) throw error;
      port++;
    }
  }
  const { port: bound } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
    return closing;
  };
  return { url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}/`, close, [Symbol.asyncDispose]: close };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off("listening", onListening);
      reject(error);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const bare = address.replace(/^::ffff:/, "");
  return bare === "::1" || /^127\./.test(bare);
}

async function readAll(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    // Replay edits are the only bodies here; 64 MiB is far above any webhook.
    if (size > 64 * 1024 * 1024) throw new Error("request body too large");
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
