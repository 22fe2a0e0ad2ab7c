// The table `pnpm bench` prints: one row per figure, ratios to direct loopback.
import pc from "picocolors";
import type { CostFigures } from "./bench-cost.ts";
import type { MemoryFigures, PathFigures, StartFigures } from "./bench-scenarios.ts";

interface Result {
  paths: Record<"direct" | "worker" | "captun", PathFigures>;
  start: StartFigures;
  memory: { captun: MemoryFigures; worker: MemoryFigures };
  cost: CostFigures;
  extraRows: Row[];
}

interface Row {
  label: string;
  unit: string;
  direct?: number;
  worker?: number;
  captun: number;
  /** Throughput: the ratio shown is speed ÷ direct (1/N); otherwise time ÷ direct (N×). */
  higherIsBetter?: boolean;
}

const rows = (r: Result): Row[] => {
  const cpu = (at: number) => num(r.cost.library.cpuPer64MiBByProcess[at]);
  const p = (key: keyof PathFigures, label: string, unit: string, higherIsBetter = false): Row => ({
    label,
    unit,
    direct: r.paths.direct[key],
    worker: r.paths.worker[key],
    captun: r.paths.captun[key],
    higherIsBetter,
  });
  return [
    p("smallGetP50Ms", "1 KiB GET p50", "ms"),
    p("smallGetP90Ms", "1 KiB GET p90", "ms"),
    p("smallGetP99Ms", "1 KiB GET p99", "ms"),
    p("download64MiBps", "64 MiB download", "MiB/s", true),
    p("download64TtfbMs", "64 MiB time to first byte", "ms"),
    p("concurrent20x2MiBMs", "20 × 2 MiB concurrent", "ms"),
    p("concurrent100x2MiBMs", "100 × 2 MiB concurrent, one shard", "ms"),
    p("upload16MiBps", "16 MiB upload", "MiB/s", true),
    p("sseFirstEventMs", "SSE first event", "ms"),
    { label: "createCaptunTunnel() → first fetch", unit: "ms", captun: r.start.createTunnelToFirstFetchMs },
    { label: "spawn `captun <port>` → first fetch", unit: "ms", direct: r.start.nodeSpawnMs, captun: r.start.spawnCliToFirstFetchMs },
    { label: "spawn library client → first fetch", unit: "ms", direct: r.start.nodeSpawnMs, captun: r.start.spawnClientToFirstFetchMs },
    {
      label: `client RSS peak, 256 MiB (idle ${num(r.memory.captun.clientBeforeMiB)})`,
      unit: "MiB",
      captun: r.memory.captun.clientPeakMiB,
    },
    {
      label: `workerd RSS peak, 256 MiB (idle ${num(r.memory.captun.workerdBeforeMiB)})`,
      unit: "MiB",
      worker: r.memory.worker.workerdPeakMiB,
      captun: r.memory.captun.workerdPeakMiB,
    },
    {
      label: `tunnel CPU s per 64 MiB (client ${cpu(0)} + workerd ${cpu(1)})`,
      unit: "s",
      worker: r.cost.worker.cpuPer64MiBSeconds,
      captun: r.cost.library.cpuPer64MiBSeconds,
    },
    {
      label: "the local front's CPU s per 64 MiB (edge stand-in)",
      unit: "s",
      worker: r.cost.worker.frontCpuPer64MiBSeconds,
      captun: r.cost.library.frontCpuPer64MiBSeconds,
    },
    { label: "workerd RSS per connected tunnel", unit: "KiB", captun: r.cost.workerdPerTunnelMiB * 1024 },
    { label: "client idle RSS, library", unit: "MiB", captun: r.cost.library.idleRssMiB },
    { label: "client idle RSS, `captun <port>`", unit: "MiB", captun: r.cost.cli.idleRssMiB },
    { label: "`captun <port>`: 1 KiB GET p50", unit: "ms", direct: r.paths.direct.smallGetP50Ms, captun: r.cost.cli.smallGetP50Ms },
    {
      label: "`captun <port>`: 64 MiB download",
      unit: "MiB/s",
      direct: r.paths.direct.download64MiBps,
      captun: r.cost.cli.download64MiBps,
      higherIsBetter: true,
    },
    { label: "`captun <port>`: tunnel CPU s per 64 MiB", unit: "s", captun: r.cost.cli.cpuPer64MiBSeconds },
    ...r.extraRows,
  ];
};

const num = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? "—" : value < 10 ? value.toFixed(2) : value.toFixed(0);

function ratio(row: Row, value: number | undefined): string {
  if (row.direct === undefined || value === undefined || row.label.startsWith("spawn")) return "";
  if (row.higherIsBetter) return `1/${(row.direct / value).toFixed(1)}`;
  return `${(value / row.direct).toFixed(1)}×`;
}

export function formatTable(r: Result): string {
  const header = ["figure", "unit", "direct", "worker", "captun", "worker÷direct", "captun÷direct"];
  const body = rows(r).map((row) => [
    row.label,
    row.unit,
    num(row.direct),
    num(row.worker),
    num(row.captun),
    ratio(row, row.worker),
    ratio(row, row.captun),
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((cells) => (cells[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  return ["", pc.bold(line(header)), ...body.map(line), "", ...targetLines(r), ""].join("\n");
}

/** Issue 15's data-plane targets, each with where this run landed. */
function targetLines(r: Result): string[] {
  const { direct, worker, captun } = r.paths;
  const gap = captun.smallGetP50Ms - worker.smallGetP50Ms;
  const targets: [string, string, boolean][] = [
    [
      "1 KiB GET p50 ≤ pass-through Worker + 0.8 ms",
      `${gap >= 0 ? "+" : ""}${gap.toFixed(2)} ms (\`captun <port>\`: ${signed(r.cost.cli.smallGetP50Ms - worker.smallGetP50Ms)} ms)`,
      gap <= 0.8,
    ],
    [
      "64 MiB download ≥ 1/3 of direct",
      `1/${(direct.download64MiBps / captun.download64MiBps).toFixed(1)}`,
      captun.download64MiBps * 3 >= direct.download64MiBps,
    ],
    [
      "16 MiB upload ≤ 3.5× direct's time",
      `${(direct.upload16MiBps / captun.upload16MiBps).toFixed(1)}×`,
      direct.upload16MiBps / captun.upload16MiBps <= 3.5,
    ],
    ["tunnel CPU ≤ 0.2 s per 64 MiB", `${r.cost.library.cpuPer64MiBSeconds.toFixed(2)} s`, r.cost.library.cpuPer64MiBSeconds <= 0.2],
    [
      "`captun <port>` costs no more than the library",
      `client ${clientCpu(r.cost.cli)} s vs ${clientCpu(r.cost.library)} s per 64 MiB`,
      // CPU is read in 10 ms ticks: within one tick counts as the same.
      (r.cost.cli.cpuPer64MiBByProcess[0] ?? 0) <= (r.cost.library.cpuPer64MiBByProcess[0] ?? 0) + 0.01,
    ],
    ["client idle RSS ≤ 60 MiB", `${r.cost.library.idleRssMiB.toFixed(0)} MiB`, r.cost.library.idleRssMiB <= 60],
  ];
  const width = Math.max(...targets.map(([what]) => what.length));
  return targets.map(([what, value, met]) => `${what.padEnd(width)}  ${value}  ${met ? pc.green("met") : pc.yellow("not met")}`);
}

const clientCpu = (cost: CostFigures["library"]) => (cost.cpuPer64MiBByProcess[0] ?? Number.NaN).toFixed(2);
const signed = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(2)}`;
