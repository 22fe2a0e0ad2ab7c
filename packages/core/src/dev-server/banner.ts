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

/** What a shared dev server exposes, said once under its public URL (docs/security.md has the rest). */
export const EXPOSURE_NOTE =
  "anyone with this URL can use the app and read its module source and HMR messages; editor and file endpoints stay local (captun docs/security.md)";

/** {@link EXPOSURE_NOTE}, dimmed and indented to sit under the public URL. */
export function exposureLine(indent = " ".repeat(14)): string {
  return indent + pc.dim(EXPOSURE_NOTE);
}
