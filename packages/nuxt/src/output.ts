// Nuxt's terminal look: listhen's `➜ Local:` lines, then ours in the same layout.
import { type DevTunnelLogger, exposureLine, qrCodeLines } from "captun/dev-server";
import pc from "picocolors";

export const nuxtLogger: DevTunnelLogger = {
  info: (message) => console.log(`  ${message}`),
  warn: (message) => console.warn(`${pc.yellow("[warn]")} ${message}`),
  error: (message) => console.error(`${pc.red("[error]")} ${message}`),
};

/** The public URL under listhen's `➜ Local:` / `➜ Network:` lines. */
export function printPublicUrl(url: string, note: string, qr: boolean): void {
  console.log(`  ${pc.green("➜")} Public:   ${pc.cyan(url)}  ${pc.dim(note)}`);
  console.log(exposureLine(" ".repeat(14)));
  if (qr) for (const line of qrCodeLines(url)) console.log(line);
}

/** Says why this dev server is not shared, under the local URL. */
export function printNotShared(problem: string): void {
  console.log(`  ${pc.green("➜")} Public:   ${pc.dim("not shared (see the captun warning)")}`);
  nuxtLogger.warn(`captun: ${problem}`);
}
