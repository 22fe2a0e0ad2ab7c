// Measuring helpers for `pnpm bench`: child processes, the visitor's requests, memory sampling.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { Agent, request } from "undici";

export const MiB = 1024 * 1024;

/**
 * The visitor: keep-alive connections, as a browser would use. Idle ones are dropped after 1 s:
 * workerd closes idle connections on its own, and reusing one at that moment fails the request
 * with ECONNRESET (seen between rounds).
 */
export const visitor = new Agent({ connections: 128, keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000 });

export interface JsonChild {
  child: ChildProcess;
  line: Record<string, string>;
  stop(): Promise<void>;
}

/** Spawns `node <script> …args` and waits for the JSON line it prints when ready. */
export async function spawnJsonChild(script: string, args: string[], timeoutMs = 20_000): Promise<JsonChild> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const timeout = AbortSignal.timeout(timeoutMs);
  const first = (await Promise.race([
    once(lines, "line", { signal: timeout }),
    once(child, "exit").then(([code]) => {
      throw new Error(`${script} exited with ${code} before it was ready`);
    }),
  ])) as [string];
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.stdin?.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, line: JSON.parse(first[0]), stop };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** GETs `url` and drains the body; resolves with the byte count and time to headers. */
export async function download(url: string): Promise<{ bytes: number; ttfbMs: number; totalMs: number }> {
  const start = performance.now();
  const answer = await request(url, { dispatcher: visitor });
  const ttfbMs = performance.now() - start;
  if (answer.statusCode !== 200) throw new Error(`GET ${url} answered ${answer.statusCode}: ${await answer.body.text()}`);
  let bytes = 0;
  for await (const chunk of answer.body) bytes += (chunk as Buffer).byteLength;
  return { bytes, ttfbMs, totalMs: performance.now() - start };
}

/** POSTs `total` bytes as a stream of 1 MiB pieces; the origin answers with the length it read. */
export async function upload(url: string, total: number): Promise<{ totalMs: number }> {
  const piece = Buffer.alloc(MiB, 7);
  const body = Readable.from(
    (function* () {
      for (let sent = 0; sent < total; sent += MiB) yield piece.subarray(0, Math.min(MiB, total - sent));
    })(),
  );
  const start = performance.now();
  const answer = await request(url, { method: "POST", body, dispatcher: visitor });
  const text = await answer.body.text();
  if (answer.statusCode !== 200 || Number(text) !== total)
    throw new Error(`upload to ${url} answered ${answer.statusCode}: ${text.slice(0, 200)}`);
  return { totalMs: performance.now() - start };
}

/** Time until the first server-sent event arrives. */
export async function firstEvent(url: string): Promise<number> {
  const start = performance.now();
  const answer = await request(url, { dispatcher: visitor });
  let text = "";
  let ms = Number.NaN;
  // Read to the end rather than hang up early: every path sees the same clean close.
  for await (const chunk of answer.body) {
    text += (chunk as Buffer).toString();
    if (Number.isNaN(ms) && text.includes("data: first\n\n")) ms = performance.now() - start;
  }
  if (text !== "data: first\n\ndata: last\n\n") throw new Error(`SSE via ${url} returned ${JSON.stringify(text)}`);
  return ms;
}

/** Resident memory of a process in MiB (Linux). */
export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** PIDs of this process's children running `name` (Miniflare spawns workerd directly). */
export function childPids(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      if (ppid === process.pid && comm === name) pids.push(Number(entry));
    } catch {
      // The process ended while we looked: not one of ours any more.
    }
  }
  return pids;
}

/** Samples the peak RSS of `pids` every 20 ms until stopped. */
export function samplePeak(pids: number[]): { stop(): number[] } {
  const peaks = pids.map(rssMiB);
  const timer = setInterval(() => {
    pids.forEach((pid, i) => {
      peaks[i] = Math.max(peaks[i] ?? 0, rssMiB(pid));
    });
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return peaks;
    },
  };
}
