// The benchmark's origin, in its own process so the visitor and the origin do not share a CPU.
// Prints `{"url": …}` as one JSON line once listening. Routes:
//   GET  /small        1 KiB with Content-Length
//   GET  /bytes?n=N    N bytes with Content-Length, written in 1 MiB pieces with backpressure
//   POST /upload       reads the body, answers with its length
//   GET  /sse          one event at once, a second one after ?holdMs=N ms
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const small = randomBytes(1024);
const piece = randomBytes(1024 * 1024);

async function sendBytes(res: ServerResponse, total: number): Promise<void> {
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(total) });
  let left = total;
  while (left > 0 && !res.destroyed) {
    const n = Math.min(left, piece.byteLength);
    left -= n;
    if (!res.write(n === piece.byteLength ? piece : piece.subarray(0, n))) await once(res, "drain");
  }
  res.end();
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://origin");
  if (url.pathname.endsWith("/small")) {
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "1024" });
    res.end(small);
  } else if (url.pathname.endsWith("/bytes")) {
    void sendBytes(res, Number(url.searchParams.get("n") ?? 0)).catch(() => res.destroy());
  } else if (url.pathname.endsWith("/upload")) {
    let length = 0;
    req.on("data", (chunk: Buffer) => {
      length += chunk.byteLength;
    });
    req.on("end", () => res.end(String(length)));
  } else if (url.pathname.endsWith("/sse")) {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write("data: first\n\n");
    const timer = setTimeout(() => res.end("data: last\n\n"), Number(url.searchParams.get("holdMs") ?? 200));
    res.on("close", () => clearTimeout(timer));
  } else {
    res.writeHead(404).end();
  }
});
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
// The parent ends us by closing stdin, so nothing outlives a crashed benchmark.
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
