import type { CaptunDevOptions } from "captun/dev-server";

/** Options of `withCaptun(nextConfig, options)`: the dev-server core's, less what Next has no use for (`preview`, the `t` shortcut). */
export interface CaptunNextOptions
  extends Pick<
    CaptunDevOptions,
    "name" | "serverUrl" | "secret" | "routing" | "customHostname" | "qr" | "configPath" | "access" | "publicPaths" | "inspect" | "inbox"
  > {
  /**
   * Share `next dev` on its public URL. With `false` the config is returned untouched and no tunnel opens.
   * @default true
   */
  enabled?: boolean;
}
