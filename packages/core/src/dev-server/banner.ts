import pc from "picocolors";
import { renderUnicodeCompact } from "uqr";

/** The line printed under the dev server's `➜  Local:` one, in the same layout. */
export function publicUrlLine(url: string | undefined, note?: string): string {
  const label = `  ${pc.green("➜")}  ${pc.bold("Public")}:  `;
  if (!url) return label + pc.dim(note ?? "not shared");
  return label + pc.cyan(url) + (note ? pc.dim(`  ${note}`) : "");
}

/** A QR code of `url` for a phone camera, indented like the URL lines. */
export function qrCodeLines(url: string): string[] {
  return renderUnicodeCompact(url, { border: 1 })
    .split("\n")
    .map((line) => `     ${line}`);
}
