import type { CaptunDevOptions } from "captun/dev-server";

/** Options of `withCaptun(nextConfig, options)`. */
export interface CaptunNextOptions
  extends Pick<CaptunDevOptions, "name" | "serverUrl" | "secret" | "routing" | "customHostname" | "configPath"> {
  /**
   * Share `next dev` on its public URL. With `false` the config is returned untouched and no tunnel opens.
   * @default true
   */
  enabled?: boolean;
  /**
   * Print a QR code of the public URL under it.
   * @default true when stdout is a terminal
   */
  qr?: boolean;
}
