import pc from "picocolors";
import { isLoopbackUrl, qrCode } from "../qr.ts";

/** The line printed under the dev server's `➜  Local:` one, in the same layout. */
export function publicUrlLine(url: string | undefined, note?: string): string {
  const label = `  ${pc.green("➜")}  ${pc.bold("Public")}:  `;
  if (!url) return label + pc.dim(note ?? "not shared");
  return label + pc.cyan(url) + (note ? pc.dim(`  ${note}`) : "");
}

/** A QR code of `url` for a phone camera; none for loopback URLs, which a phone cannot open. */
export function qrCodeLines(url: string): string[] {
  return isLoopbackUrl(url) ? [] : qrCode(url).split("\n");
}
