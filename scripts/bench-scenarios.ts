// The figures `pnpm bench` measures, each bounded in count and time, loopback only.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createCaptunTunnel, createOriginFetcher, tunnelUrlFor } from "captun";
import { request } from "undici";
import { download, firstEvent, MiB, median, percentile, rssMiB, samplePeak, spawnJsonChild, upload, visitor } from "./bench-measure.ts";
import { type BenchServer, CLI, script } from "./bench-targets.ts";

/** Figures measured the same way for direct, the pass-through Worker and captun. */
export interface PathFigures {
  smallGetP50Ms: number;
  smallGetP90Ms: number;
  smallGetP99Ms: number;
  download64MiBps: number;
  download64TtfbMs: number;
  concurrent20x2MiBMs: number;
  concurrent100x2MiBMs: number;
  upload16MiBps: number;
  sseFirstEventMs: number;
}

const SMALL_GETS = 300;

/** Each figure's median over several rounds. */
export function medianFigures(rounds: PathFigures[]): PathFigures {
  const keys = Object.keys(rounds[0] ?? {}) as (keyof PathFigures)[];
  return Object.fromEntries(keys.map((key) => [key, median(rounds.map((round) => round[key]))])) as unknown as PathFigures;
}

export async function measurePath(base: string): Promise<PathFigures> {
  for (let i = 0; i < 20; i++) await download(`${base}/small`);
  const times: number[] = [];
  for (let i = 0; i < SMALL_GETS; i++) {
    const { bytes, totalMs } = await download(`${base}/small`);
    if (bytes !== 1024) throw new Error(`small GET via ${base} returned ${bytes} bytes`);
    times.push(totalMs);
  }
  times.sort((a, b) => a - b);

  const big = await checkedDownload(`${base}/bytes?n=${64 * MiB}`, 64 * MiB);
  const concurrent = async (count: number) => {
    const start = performance.now();
    await Promise.all(Array.from({ length: count }, () => checkedDownload(`${base}/bytes?n=${2 * MiB}`, 2 * MiB)));
    return performance.now() - start;
  };
  const concurrent20x2MiBMs = await concurrent(20);
  const concurrent100x2MiBMs = await concurrent(100);
  const up = await upload(`${base}/upload`, 16 * MiB);
  const sse = [];
  for (let i = 0; i < 5; i++) sse.push(await firstEvent(`${base}/sse?holdMs=100`));

  return {
    smallGetP50Ms: percentile(times, 50),
    smallGetP90Ms: percentile(times, 90),
    smallGetP99Ms: percentile(times, 99),
    download64MiBps: 64 / (big.totalMs / 1000),
    download64TtfbMs: big.ttfbMs,
    concurrent20x2MiBMs,
    concurrent100x2MiBMs,
    upload16MiBps: 16 / (up.totalMs / 1000),
    sseFirstEventMs: median(sse),
  };
}

async function checkedDownload(url: string, expected: number) {
  const result = await download(url);
  if (result.bytes !== expected) throw new Error(`GET ${url} returned ${result.bytes} of ${expected} bytes (truncated)`);
  return result;
}

/** Start-up figures, median of 5 launches each. */
export interface StartFigures {
  /** `createCaptunTunnel()` call → first successful public fetch, in this process. */
  createTunnelToFirstFetchMs: number;
  /** Spawning a client process → first successful public fetch. */
  spawnClientToFirstFetchMs: number;
  /** Spawning `captun <port>` (the built CLI) → first successful public fetch; NaN when not built. */
  spawnCliToFirstFetchMs: number;
  /** Spawning `node -e 0` until it exits: the floor for any CLI written for Node. */
  nodeSpawnMs: number;
}

const CLI_BUILT = existsSync(fileURLToPath(new URL("../packages/core/dist/cli/index.js", import.meta.url)));

/** A running `captun <port>`: its public URL, its process, and how long it took to answer 200 there. */
export interface StartedCli {
  url: string;
  pid: number;
  startMs: number;
  stop(): Promise<void>;
}

/** Spawns `captun <port>` for the origin and polls its public URL (every 2 ms, for at most 20 s) until it answers 200. */
export async function startCli(server: BenchServer, originUrl: string, name: string): Promise<StartedCli> {
  const start = performance.now();
  const port = new URL(originUrl).port;
  const child = spawn(process.execPath, [CLI, port, "--name", name, "--server-url", server.url, "--secret", server.secret, "--no-qr"], {
    stdio: "ignore",
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const url = tunnelUrlFor(server.url, name);
  const deadline = start + 20_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`captun ${port} exited with ${child.exitCode}`);
    const answer = await request(`${url}/small`, { dispatcher: visitor }).catch(() => undefined);
    await answer?.body.arrayBuffer();
    if (answer?.statusCode === 200) return { url, pid: child.pid!, startMs: performance.now() - start, stop };
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await stop();
  throw new Error(`captun ${port} did not open ${url} within 20 s`);
}

async function cliStart(server: BenchServer, originUrl: string, name: string): Promise<number> {
  const cli = await startCli(server, originUrl, name);
  await cli.stop();
  return cli.startMs;
}

export async function measureStart(server: BenchServer, originUrl: string): Promise<StartFigures> {
  const inProcess: number[] = [];
  const spawned: number[] = [];
  const bare: number[] = [];
  const fetcher = createOriginFetcher(originUrl);
  try {
    for (let i = 0; i < 5; i++) {
      const name = `start-${i}`;
      const start = performance.now();
      const tunnel = await createCaptunTunnel({ url: tunnelUrlFor(server.url, name), secret: server.secret, fetch: fetcher });
      await firstSuccess(`${tunnel.url}/small`);
      inProcess.push(performance.now() - start);
      await tunnel.close();
    }
  } finally {
    await fetcher.close();
  }
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const client = await spawnJsonChild(script("bench-client.mjs"), [tunnelUrlFor(server.url, `spawn-${i}`), server.secret, originUrl]);
    try {
      await firstSuccess(`${client.line.url}/small`);
      spawned.push(performance.now() - start);
    } finally {
      await client.stop();
    }
  }
  const cli: number[] = [];
  for (let i = 0; CLI_BUILT && i < 5; i++) {
    // A slow launch on a loaded machine is a figure, not a reason to lose the whole run.
    cli.push(
      await cliStart(server, originUrl, `cli-${i}`).catch((error: Error) => {
        console.error(error.message);
        return Number.NaN;
      }),
    );
  }
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    await once(child, "exit");
    bare.push(performance.now() - start);
  }
  return {
    createTunnelToFirstFetchMs: median(inProcess),
    spawnClientToFirstFetchMs: median(spawned),
    spawnCliToFirstFetchMs: median(cli.filter(Number.isFinite)),
    nodeSpawnMs: median(bare),
  };
}

async function firstSuccess(url: string): Promise<void> {
  const answer = await request(url, { dispatcher: visitor });
  await answer.body.arrayBuffer();
  if (answer.statusCode !== 200) throw new Error(`first public fetch of ${url} answered ${answer.statusCode}`);
}

export interface MemoryFigures {
  /** RSS before and peak RSS during one 256 MiB download, in MiB. */
  clientBeforeMiB: number;
  clientPeakMiB: number;
  workerdBeforeMiB: number;
  workerdPeakMiB: number;
  download256MiBps: number;
}

/**
 * Peak memory of a fresh client process and of workerd while 256 MiB stream through; without a
 * server, the same through the pass-through Worker at `url`.
 */
export async function measureMemory(
  target: { server: BenchServer; originUrl: string } | { url: string },
  workerdPid: number | undefined,
): Promise<MemoryFigures> {
  const client =
    "server" in target
      ? await spawnJsonChild(script("bench-client.mjs"), [
          tunnelUrlFor(target.server.url, "memory"),
          target.server.secret,
          target.originUrl,
        ])
      : undefined;
  try {
    const url = client ? (client.line.url as string) : (target as { url: string }).url;
    return await measureMemoryAt(url, client?.child.pid, workerdPid);
  } finally {
    await client?.stop();
  }
}

async function measureMemoryAt(url: string, clientPid: number | undefined, workerdPid: number | undefined): Promise<MemoryFigures> {
  // One small request first, so the idle figure includes a warmed-up session.
  await checkedDownload(`${url}/small`, 1024);
  const pids = [clientPid, workerdPid].filter((pid): pid is number => pid !== undefined);
  const before = pids.map(rssMiB);
  const sampler = samplePeak(pids);
  const result = await checkedDownload(`${url}/bytes?n=${256 * MiB}`, 256 * MiB);
  const peaks = sampler.stop();
  const at = (pid: number | undefined, values: number[]) => (pid === undefined ? Number.NaN : (values[pids.indexOf(pid)] ?? Number.NaN));
  return {
    clientBeforeMiB: at(clientPid, before),
    clientPeakMiB: at(clientPid, peaks),
    workerdBeforeMiB: at(workerdPid, before),
    workerdPeakMiB: at(workerdPid, peaks),
    download256MiBps: 256 / (result.totalMs / 1000),
  };
}
