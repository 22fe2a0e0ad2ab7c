// `pnpm bench [--label name]`: direct loopback vs a plain pass-through Worker vs captun, in one run.
// Prints a table with ratios to direct and saves the figures to docs/performance/<label>.json.
// Method and what bounds each figure: docs/benchmarks.md.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import pc from "picocolors";
import { MiB } from "./bench-measure.ts";
import { formatTable } from "./bench-report.ts";
import { measureMemory, measurePath, measureStart, type PathFigures } from "./bench-scenarios.ts";
import { script, startTargets } from "./bench-targets.ts";

const { values } = parseArgs({ options: { label: { type: "string" } } });
const label = values.label ?? new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-");

await using targets = await startTargets();
const origin = targets.origin.line.url as string;
const log = (what: string) => console.error(pc.dim(`… ${what}`));

const paths: Record<"direct" | "worker" | "captun", PathFigures> = {} as never;
for (const [key, url] of [
  ["direct", origin],
  ["worker", targets.passThrough.url],
  ["captun", targets.captun.url],
] as const) {
  log(`${key}: ${url}`);
  paths[key] = await measurePath(url);
}
log("start-up");
const start = await measureStart(targets.captun.server, origin);
log("memory while streaming 256 MiB");
const memory = {
  captun: await measureMemory({ server: targets.captun.server, originUrl: origin }, targets.captun.workerdPid),
  worker: await measureMemory({ url: targets.passThrough.url }, targets.passThrough.workerdPid),
};

// Another engineer's WebSocket figures join the table when their script is present: it exports
// `benchWebSocket({ serverUrl, secret, originUrl })` resolving to extra rows.
let extraRows: { label: string; unit: string; direct?: number; worker?: number; captun: number }[] = [];
if (existsSync(script("bench-websocket.ts"))) {
  const mod = (await import(script("bench-websocket.ts"))) as { benchWebSocket?: (ctx: object) => Promise<typeof extraRows> };
  if (mod.benchWebSocket) {
    log("websocket");
    extraRows = await mod.benchWebSocket({ serverUrl: targets.captun.server.url, secret: targets.captun.server.secret, originUrl: origin });
  }
}

const result = {
  label,
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: Math.round(totalmem() / 1024 / MiB), node: process.version },
  paths,
  start,
  memory,
  extraRows,
};
console.log(formatTable(result));
const dir = new URL("../docs/performance/", import.meta.url);
mkdirSync(dir, { recursive: true });
const file = new URL(`${label}.json`, dir);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(pc.dim(`saved ${file.pathname}`));
