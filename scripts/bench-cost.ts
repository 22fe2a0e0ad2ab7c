// What a tunnel costs the machines it runs on, for `pnpm bench`: CPU seconds per 64 MiB in the
// tunnel's processes, the client's idle memory, workerd's memory per connected tunnel, and the
// same data-plane figures through `captun <port>` as through the library, so the CLI path is
// seen to cost no more. Loopback only; every loop bounded.
import { readFileSync } from "node:fs";
import { createCaptunTunnel, startLocalServer, tunnelUrlFor } from "captun";
import { request } from "undici";
import { childPids, download, MiB, median, percentile, rssMiB, spawnJsonChild, visitor } from "./bench-measure.ts";
import { startCli } from "./bench-scenarios.ts";
import { type BenchServer, script } from "./bench-targets.ts";

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;
const DOWNLOADS = 3;
const SMALL_GETS = 200;
const IDLE_TUNNELS = 100;

/** User + system CPU seconds a process has used so far (Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat(5); the slice starts at field 3.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

export interface ClientCost {
  smallGetP50Ms: number;
  download64MiBps: number;
  /** CPU seconds per 64 MiB downloaded in the tunnel's processes: the client and workerd (for the pass-through Worker, workerd). */
  cpuPer64MiBSeconds: number;
  /** The same, per process, in that order. */
  cpuPer64MiBByProcess: number[];
  /** CPU seconds per 64 MiB of the server's node:http front, the local stand-in for Cloudflare's edge (which both paths have). */
  frontCpuPer64MiBSeconds: number;
  /** The client's RSS after one request, before the downloads. */
  idleRssMiB: number;
}

export interface CostFigures {
  library: ClientCost;
  cli: ClientCost;
  /** The same figures through the pass-through Worker. */
  worker: ClientCost;
  /** workerd's RSS growth per connected idle tunnel. */
  workerdPerTunnelMiB: number;
}

async function measureClient(url: string, tunnelPids: number[], frontPid: number): Promise<ClientCost> {
  const pids = [...tunnelPids, frontPid];
  for (let i = 0; i < 20; i++) await download(`${url}/small`);
  const idleRssMiB = rssMiB(pids[0]!);
  const times: number[] = [];
  for (let i = 0; i < SMALL_GETS; i++) times.push((await download(`${url}/small`)).totalMs);
  times.sort((a, b) => a - b);
  const speeds: number[] = [];
  const cpu: number[][] = [];
  for (let i = 0; i < DOWNLOADS; i++) {
    const before = pids.map(cpuSeconds);
    const { bytes, totalMs } = await download(`${url}/bytes?n=${64 * MiB}`);
    if (bytes !== 64 * MiB) throw new Error(`GET ${url}/bytes returned ${bytes} of ${64 * MiB} bytes (truncated)`);
    cpu.push(pids.map((pid, at) => cpuSeconds(pid) - (before[at] ?? 0)));
    speeds.push(64 / (totalMs / 1000));
  }
  const tunnel = cpu.map((round) => round.slice(0, tunnelPids.length));
  return {
    smallGetP50Ms: percentile(times, 50),
    download64MiBps: median(speeds),
    cpuPer64MiBSeconds: median(tunnel.map((round) => round.reduce((a, b) => a + b, 0))),
    cpuPer64MiBByProcess: tunnelPids.map((_, at) => median(tunnel.map((round) => round[at] ?? 0))),
    frontCpuPer64MiBSeconds: median(cpu.map((round) => round[tunnelPids.length] ?? 0)),
    idleRssMiB,
  };
}

/**
 * A fresh local server, so memory freed by earlier downloads does not hide the growth: its
 * workerd's RSS before and after {@link IDLE_TUNNELS} tunnels connect and answer once.
 */
async function workerdPerTunnel(): Promise<number> {
  const settle = () => new Promise((resolve) => setTimeout(resolve, 500));
  const before = new Set(childPids("workerd"));
  await using server = await startLocalServer({ routing: "folder" });
  const workerdPid = childPids("workerd").find((pid) => !before.has(pid));
  if (workerdPid === undefined) throw new Error("the fresh local server's workerd was not found");
  const first = await createCaptunTunnel({
    url: tunnelUrlFor(server.url, "idle-first"),
    secret: server.secret,
    fetch: () => new Response("idle"),
  });
  // The first tunnel sets up the shard itself; growth is counted from there.
  await (await request(`${first.url}/`, { dispatcher: visitor })).body.arrayBuffer();
  await settle();
  const base = rssMiB(workerdPid);
  const tunnels = [first];
  try {
    for (let i = 0; i < IDLE_TUNNELS; i++) {
      const tunnel = await createCaptunTunnel({
        url: tunnelUrlFor(server.url, `idle-${i}`),
        secret: server.secret,
        fetch: () => new Response("idle"),
      });
      tunnels.push(tunnel);
      // A request each, so every tunnel's session is fully set up in the shard.
      const answer = await request(`${tunnel.url}/`, { dispatcher: visitor });
      await answer.body.arrayBuffer();
    }
    await settle();
    return (rssMiB(workerdPid) - base) / IDLE_TUNNELS;
  } finally {
    for (const tunnel of tunnels) await tunnel.close();
  }
}

export async function measureCost(
  server: BenchServer,
  originUrl: string,
  passThrough: { url: string; pid: number; workerdPid: number | undefined },
): Promise<CostFigures> {
  const workerdPid = server.workerdPid;
  if (workerdPid === undefined || passThrough.workerdPid === undefined) throw new Error("workerd's PID is unknown: CPU cannot be read");
  const library = await spawnJsonChild(script("bench-client.mjs"), [tunnelUrlFor(server.url, "cost-library"), server.secret, originUrl]);
  let libraryCost: ClientCost;
  try {
    libraryCost = await measureClient(library.line.url as string, [library.child.pid!, workerdPid], server.pid);
  } finally {
    await library.stop();
  }
  const cli = await startCli(server, originUrl, "cost-cli");
  let cliCost: ClientCost;
  try {
    cliCost = await measureClient(cli.url, [cli.pid, workerdPid], server.pid);
  } finally {
    await cli.stop();
  }
  const worker = await measureClient(passThrough.url, [passThrough.workerdPid], passThrough.pid);
  return {
    library: libraryCost,
    cli: cliCost,
    worker,
    workerdPerTunnelMiB: await workerdPerTunnel(),
  };
}
