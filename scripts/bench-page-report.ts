// The page-load table `pnpm bench` and `node scripts/bench-page-load.ts` print: captun beside a raw
// TCP forward over the same simulated link, with the ratios issue 15 sets targets for.
import pc from "picocolors";
import type { PageLoadResult, VisitFigures } from "./bench-page-load.ts";

interface Row {
  label: string;
  unit: string;
  raw: number;
  captun: number;
  /** The same page from Vite on loopback (no link, no tunnel), where it means something. */
  loopback?: number;
  /** The ratio captun ÷ raw this figure should stay under, where there is one. */
  target?: number;
  /** Shown as a share of the browser's requests instead of a ratio to raw. */
  share?: number;
}

const MB = 1e6;

function rows(r: PageLoadResult): Row[] {
  const visit = (name: "first" | "second", title: string, target: number, requestShare?: number): Row[] => {
    const raw: VisitFigures = r.raw[name];
    const captun: VisitFigures = r.captun[name];
    const loopback: VisitFigures | undefined = r.loopback?.[name];
    const requests = requestShare === undefined ? {} : { target: requestShare };
    return [
      { label: `${title}: load event`, unit: "ms", raw: raw.loadMs, captun: captun.loadMs, loopback: loopback?.loadMs },
      { label: `${title}: all modules fetched`, unit: "ms", raw: raw.readyMs, captun: captun.readyMs, loopback: loopback?.readyMs, target },
      {
        label: `${title}: request → first byte, median`,
        unit: "ms",
        raw: raw.ttfbP50Ms,
        captun: captun.ttfbP50Ms,
        loopback: loopback?.ttfbP50Ms,
      },
      { label: `${title}: bytes up the laptop's link`, unit: "MB", raw: raw.uplinkBytes / MB, captun: captun.uplinkBytes / MB },
      { label: `${title}: bytes down to the laptop`, unit: "MB", raw: raw.downlinkBytes / MB, captun: captun.downlinkBytes / MB },
      {
        label: `${title}: requests reaching the laptop (browser made ${captun.browserRequests})`,
        unit: "",
        raw: raw.laptopRequests,
        captun: captun.laptopRequests,
        share: captun.laptopRequests / captun.browserRequests,
        ...requests,
      },
    ];
  };
  return [...visit("first", "1st visitor", 0.6), ...visit("second", "2nd visitor", 0.3, 0.2)];
}

const num = (value: number) => (Number.isNaN(value) ? "—" : value < 10 ? value.toFixed(2) : value.toFixed(0));

export function formatPageLoadTable(r: PageLoadResult): string {
  const header = ["dev page over a home link", "unit", "raw forward", "captun", "captun÷raw", "target", "Vite on loopback"];
  const body = rows(r).map((row) => {
    const ratio = row.share === undefined ? `${(row.captun / row.raw).toFixed(2)}×` : `${Math.round(row.share * 100)} %`;
    const target = row.target === undefined ? "" : row.share === undefined ? `≤ ${row.target}×` : `≤ ${row.target * 100} %`;
    const met =
      row.target === undefined ? "" : (row.share ?? row.captun / row.raw) <= row.target ? pc.green(" met") : pc.yellow(" not met");
    return [row.label, row.unit, num(row.raw), num(row.captun), ratio, target + met, row.loopback === undefined ? "" : num(row.loopback)];
  });
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((cells) => (cells[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  const { link, app } = r;
  return [
    "",
    pc.bold(line(header)),
    ...body.map(line),
    "",
    `link: ${link.rttMs} ms round trip, ${link.upMbit} Mbit/s up, ${link.downMbit} Mbit/s down; ` +
      `captun's visitors over ${r.edge === "h2" ? "HTTP/2 (TLS), as to Cloudflare's edge" : "HTTP/1.1"}, ` +
      `${r.access === "private" ? "private (each opens a share link)" : "public"}; ` +
      `app: ${app.modules} modules + ${app.cssFiles} CSS files + React; medians of ${r.rounds} rounds; ` +
      "Vite on loopback: the same browser straight from the dev server, no link, no tunnel (the floor on this machine)" +
      (r.edgeResent ? pc.yellow(`; the edge resent ${r.edgeResent} requests the local server hung up on`) : ""),
    "",
  ].join("\n");
}
