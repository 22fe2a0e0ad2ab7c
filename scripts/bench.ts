// `pnpm bench [--label name] [--rounds 3] [--rtt-ms 40] [--up-mbit 20] [--down-mbit 100] [--edge h2|h1]
// [--access private|public]`: direct loopback vs a plain pass-through Worker vs captun, in one run; then a
// dev page over a simulated home link, captun vs a raw TCP forward (bench-page-load.ts). Prints both tables
// and saves the figures to docs/performance/<label>.json.
// Method and what bounds each figure: docs/benchmarks.md.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import pc from "picocolors";
import { measureCost } from "./bench-cost.ts";
import { MiB } from "./bench-measure.ts";
import { benchPageLoad, type PageLoadResult } from "./bench-page-load.ts";
import { formatPageLoadTable } from "./bench-page-report.ts";
import { formatTable } from "./bench-report.ts";
import { measureMemory, measurePath, measureStart, medianFigures, type PathFigures } from "./bench-scenarios.ts";
import { script, startTargets } from "./bench-targets.ts";

type PathName = "direct" | "worker" | "captun";

const { values } = parseArgs({
  options: {
    label: { type: "string" },
    rounds: { type: "string", default: "3" },
    "rtt-ms": { type: "string", default: "40" },
    "up-mbit": { type: "string", default: "20" },
    "down-mbit": { type: "string", default: "100" },
    edge: { type: "string", default: "h2" },
    access: { type: "string", default: "private" },
  },
});
const label = values.label ?? new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-");

await using targets = await startTargets();
const origin = targets.origin.line.url as string;
const began = performance.now();
const log = (what: string) => console.error(pc.dim(`… ${((performance.now() - began) / 1000).toFixed(1)} s: ${what}`));

// Rounds interleave the three paths and each figure is the median over rounds, so a burst of load
// from elsewhere on the machine skews one round rather than one path.
const rounds: Record<PathName, PathFigures[]> = { direct: [], worker: [], captun: [] };
for (let round = 1; round <= Number(values.rounds); round++) {
  for (const [key, url] of [
    ["direct", origin],
    ["worker", targets.passThrough.url],
    ["captun", targets.captun.url],
  ] as const) {
    log(`round ${round}, ${key}: ${url}`);
    rounds[key].push(await measurePath(url));
  }
}
const paths = {
  direct: medianFigures(rounds.direct),
  worker: medianFigures(rounds.worker),
  captun: medianFigures(rounds.captun),
};
log("start-up");
const start = await measureStart(targets.captun.server, origin);
log("memory while streaming 256 MiB");
const memory = {
  captun: await measureMemory({ server: targets.captun.server, originUrl: origin }, targets.captun.workerdPid),
  worker: await measureMemory({ url: targets.passThrough.url }, targets.passThrough.workerdPid),
};
log("CPU and memory per tunnel; the same through `captun <port>`");
const cost = await measureCost(targets.captun.server, origin, targets.passThrough);

// Figures other parts of captun own join the table when their script is present: each exports a
// function taking `{ serverUrl, secret, customHostname?, originUrl }` and resolving to rows.
const EXTRA_BENCHES = [
  ["bench-websocket.ts", "benchWebSocket"],
  ["bench-dev-server.ts", "benchDevServer"],
] as const;
const extraRows: { label: string; unit: string; direct?: number; worker?: number; captun: number }[] = [];
for (const [file, exported] of EXTRA_BENCHES) {
  if (!existsSync(script(file))) continue;
  const mod = (await import(script(file))) as Record<string, (context: object) => Promise<typeof extraRows>>;
  log(file);
  const { server } = targets.captun;
  try {
    const context = { serverUrl: server.url, secret: server.secret, customHostname: server.customHostname, originUrl: origin };
    extraRows.push(...((await mod[exported]?.(context)) ?? []));
  } catch (error) {
    console.error(pc.yellow(`${file} failed, its rows are missing: ${(error as Error).message}`));
  }
}

log("dev page over a simulated home link");
let pageLoad: PageLoadResult | undefined;
try {
  pageLoad = await benchPageLoad({
    rounds: Number(values.rounds),
    rttMs: Number(values["rtt-ms"]),
    upMbit: Number(values["up-mbit"]),
    downMbit: Number(values["down-mbit"]),
    edge: values.edge === "h1" ? "h1" : "h2",
    access: values.access === "public" ? "public" : "private",
    log,
  });
} catch (error) {
  console.error(pc.yellow(`bench-page-load.ts failed, its rows are missing: ${(error as Error).message}`));
}

const result = {
  label,
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: Math.round(totalmem() / 1024 / MiB), node: process.version },
  rounds: Number(values.rounds),
  paths,
  start,
  memory,
  cost,
  extraRows,
  pageLoad,
};
console.log(formatTable(result));
if (pageLoad) console.log(formatPageLoadTable(pageLoad));
const dir = new URL("../docs/performance/", import.meta.url);
mkdirSync(dir, { recursive: true });
const file = new URL(`${label}.json`, dir);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(pc.dim(`saved ${file.pathname}`));
