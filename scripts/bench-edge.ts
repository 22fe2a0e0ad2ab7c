// The visitor's side of Cloudflare's edge for the page-load benchmark: browsers reach a deployed
// captun over HTTP/2 (TLS), so all of a page's module requests are in flight at once instead of six
// at a time, as over the local server's plain HTTP/1.1. This front terminates TLS + HTTP/2 with a
// throwaway self-signed certificate (the browser context ignores certificate errors) and forwards
// each request to the local server over keep-alive HTTP/1.1 with its Host kept.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { AddressInfo } from "node:net";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";

export interface Edge extends AsyncDisposable {
  /** The port to put in `https://<name>.localhost:<port>/`. */
  port: number;
  /** Requests sent again after the local server hung up before answering. */
  readonly resent: number;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

/** A key and certificate for `localhost` and `*.localhost`, valid for a day, made with the system's openssl. */
function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), "captun-bench-edge-"));
  try {
    const made = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,DNS:*.localhost",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { encoding: "utf8" },
    );
    if (made.status !== 0)
      throw new Error(
        `openssl could not make the edge's certificate (${made.error?.message ?? made.stderr.trim()}). Install openssl or pass --edge h1.`,
      );
    return { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts the HTTP/2 front for the server at `origin` (`http://host:port`). */
export async function startEdge(origin: string): Promise<Edge> {
  const target = new URL(origin);
  const host = target.hostname === "localhost" ? "127.0.0.1" : target.hostname;
  // Node's Agent honours the server's `Keep-Alive: timeout=` (closing idle sockets a second before
  // it) only when it has a timeout of its own; without one it reused sockets the server was closing.
  const agent = new Agent({ keepAlive: true, maxSockets: 512, timeout: 600_000 });
  const server = createSecureServer({ ...selfSignedCertificate(), allowHTTP1: true });
  const sockets = new Set<Socket>();
  let resent = 0;

  server.on("request", (req: Http2ServerRequest, res: Http2ServerResponse) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!name.startsWith(":") && !HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    }
    headers.host = req.headers[":authority"] ?? req.headers.host ?? target.host;
    const forward = (retry: boolean) => {
      const upstream = request({ host, port: target.port, method: req.method, path: req.url, headers, agent }, (answer) => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
        }
        res.writeHead(answer.statusCode ?? 502, out);
        pipeline(answer, res).catch(() => res.stream?.close());
      });
      upstream.on("error", (error: NodeJS.ErrnoException) => {
        // A kept-alive connection the local server closed just as a request went out on it (its
        // front closed idle ones after 5 s; now 300 s, announced): a body-less request is sent
        // again, once, and counted, so the table says when it happened.
        if (retry && error.code === "ECONNRESET") {
          resent++;
          return forward(false).end();
        }
        if (!res.headersSent) res.writeHead(502, { "x-bench-edge-error": error.message }).end();
        else res.stream?.close();
      });
      return upstream;
    };
    if (req.method === "GET" || req.method === "HEAD") forward(true).end();
    else pipeline(req, forward(false)).catch(() => res.stream?.close());
  });

  // WebSockets (Vite's HMR) come over HTTP/1.1: pass the bytes through untouched.
  server.on("upgrade", (req: Http2ServerRequest, socket: Socket, head: Buffer) => {
    const upstream = connect(Number(target.port), host, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on("error", () => {
        socket.destroy();
        upstream.destroy();
      });
      s.on("close", () => sockets.delete(s));
    }
  });
  server.on("secureConnection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    get resent() {
      return resent;
    },
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
