import { renderUnicodeCompact } from "uqr";

/** Loopback URLs cannot be opened from a phone, so they get no QR code. */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" || host.startsWith("127.");
}

/** A QR code of `url` in half-block characters, indented to sit under the URL banner. */
export function qrCode(url: string): string {
  return renderUnicodeCompact(url, { border: 1 })
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}
