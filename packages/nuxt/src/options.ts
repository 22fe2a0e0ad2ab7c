import type { CaptunDevOptions } from "captun/dev-server";

/** Options of `@captun/nuxt` (the `captun` key of nuxt.config): the dev-server core's, less Vite's `preview`. */
export interface CaptunNuxtOptions
  extends Pick<
    CaptunDevOptions,
    "name" | "serverUrl" | "secret" | "routing" | "customHostname" | "qr" | "configPath" | "inspect" | "inbox"
  > {
  /**
   * Share `nuxt dev` on its public URL. `nuxt dev --tunnel`-style starts are not needed: with
   * `false`, no tunnel opens and the config stays untouched.
   * @default true
   */
  enabled?: boolean;
}
