// WebSocket round trips through captun vs straight to the origin, for `pnpm bench` (which calls
// `benchWebSocket`). Alone: `node scripts/bench-websocket.ts` starts its own local server.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createCaptunTunnel, createOriginFetcher, startLocalServer, tunnelUrlFor } from "captun";
import WebSocket, { WebSocketServer } from "ws";

const ROUND_TRIPS = 1_000;
const WARM_UP = 50;
/** Every loop is bounded in time as well as in count. */
const TIME_LIMIT_MS = 60_000;

export interface WebSocketBenchContext {
  serverUrl: string;
  secret: string;
  /** The server's custom hostname when it routes by subdomain. @default undefined (folder routing) */
  customHostname?: string;
}

export interface BenchRow {
  label: string;
  unit: string;
  direct?: number;
  captun: number;
}

export async function benchWebSocket(context: WebSocketBenchContext): Promise<BenchRow[]> {
  await using origin = await startEchoOrigin();
  const fetcher = createOriginFetcher(origin.url);
  const tunnelUrl = tunnelUrlFor(context.serverUrl, `bench-ws-${process.pid}`, context.customHostname);
  await using tunnel = await createCaptunTunnel({ url: tunnelUrl, secret: context.secret, fetch: fetcher });
  try {
    const direct = await roundTrips(origin.url);
    const captun = await roundTrips(tunnel.url);
    return [
      { label: `WebSocket echo p50 (${ROUND_TRIPS}× 32 B)`, unit: "ms", direct: direct.p50, captun: captun.p50 },
      { label: `WebSocket echo p99 (${ROUND_TRIPS}× 32 B)`, unit: "ms", direct: direct.p99, captun: captun.p99 },
      { label: "WebSocket echo 1 MiB frame p50", unit: "ms", direct: direct.bigP50, captun: captun.bigP50 },
    ];
  } finally {
    await fetcher.close();
  }
}

async function roundTrips(url: string): Promise<{ p50: number; p99: number; bigP50: number }> {
  const socket = new WebSocket(url.replace(/^http/, "ws"), { perMessageDeflate: false, lookup: loopbackLookup as never });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  const deadline = Date.now() + TIME_LIMIT_MS;
  const echo = (data: Buffer | string) =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      socket.once("message", () => resolve(performance.now() - started));
      socket.once("close", () => reject(new Error("socket closed during the benchmark")));
      socket.send(data);
    });
  const small = "x".repeat(32);
  const times: number[] = [];
  for (let i = 0; i < WARM_UP + ROUND_TRIPS && Date.now() < deadline; i++) {
    const ms = await echo(small);
    if (i >= WARM_UP) times.push(ms);
    socket.removeAllListeners("close");
  }
  const big = Buffer.alloc(1024 * 1024, 7);
  const bigTimes: number[] = [];
  for (let i = 0; i < 20 && Date.now() < deadline; i++) {
    bigTimes.push(await echo(big));
    socket.removeAllListeners("close");
  }
  socket.close();
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), bigP50: percentile(bigTimes, 0.5) };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const value = sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
  return Math.round(value * 100) / 100;
}

async function startEchoOrigin(): Promise<{ url: string } & AsyncDisposable> {
  const server = createServer((_req, res) => res.end("echo origin"));
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  wss.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async [Symbol.asyncDispose]() {
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** `*.localhost` to 127.0.0.1, like a browser (the local server may route by subdomain). */
function loopbackLookup(_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void): void {
  if (options.all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
  else callback(null, "127.0.0.1", 4);
}

if (import.meta.main) {
  await using server = await startLocalServer({ routing: "folder" });
  const rows = await benchWebSocket({ serverUrl: server.url, secret: server.secret });
  for (const row of rows) {
    const ratio = row.direct ? ` (${(row.captun / row.direct).toFixed(1)}× direct)` : "";
    console.log(`${row.label}: direct ${row.direct} ${row.unit}, captun ${row.captun} ${row.unit}${ratio}`);
  }
}
