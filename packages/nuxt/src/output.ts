// Nuxt's terminal look: listhen's `➜ Local:` lines, then ours in the same layout.
import { type DevTunnelLogger, exposureLine, qrCodeLines } from "captun/dev-server";
import pc from "picocolors";

export const nuxtLogger: DevTunnelLogger = {
  info: (message) => console.log(`  ${message}`),
  warn: (message) => console.warn(`${pc.yellow("[warn]")} ${message}`),
  error: (message) => console.error(`${pc.red("[error]")} ${message}`),
};

/** The public URL (and the local inspector's) under listhen's `➜ Local:` / `➜ Network:` lines. */
export function printPublicUrl(url: string, note: string, extras: { qr: boolean; inspectUrl: string | undefined }): void {
  console.log(`  ${pc.green("➜")} Public:   ${pc.cyan(url)}  ${pc.dim(note)}`);
  console.log(exposureLine(" ".repeat(14)));
  if (extras.inspectUrl) console.log(`  ${pc.green("➜")} Inspect:  ${pc.cyan(extras.inspectUrl)}`);
  if (extras.qr) for (const line of qrCodeLines(url)) console.log(line);
}

/** Says why this dev server is not shared, under the local URL. */
export function printNotShared(problem: string): void {
  console.log(`  ${pc.green("➜")} Public:   ${pc.dim("not shared (see the captun warning)")}`);
  nuxtLogger.warn(`captun: ${problem}`);
}
