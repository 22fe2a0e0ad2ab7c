// What captun changes in Nuxt's options: the exact public host in Vite's host check, and the folder
// prefix in front of `app.baseURL` under folder routing. Everything else stays the user's.
import type { DevTunnelSettings } from "captun/dev-server";
import type { NuxtOptions } from "nuxt/schema";

export function nuxtConfigPatch(settings: DevTunnelSettings, options: NuxtOptions): void {
  options.vite.server ??= {};
  const allowed = options.vite.server.allowedHosts;
  // Exactly the public host, never `true`: every other Host stays refused (DNS rebinding).
  if (allowed !== true) options.vite.server.allowedHosts = [...(allowed ?? []), settings.publicHostname];
  if (settings.pathPrefix) {
    const baseURL = folderBaseURL(settings.pathPrefix, options.app.baseURL);
    // Nuxt copied `app.baseURL` into the runtime config when it read nuxt.config: both must move.
    options.app.baseURL = baseURL;
    (options.runtimeConfig.app as { baseURL?: string }).baseURL = baseURL;
  }
}

/** `/<name>/` in front of the user's own `app.baseURL`, once. */
export function folderBaseURL(prefix: string, baseURL: string | undefined): string {
  const base = !baseURL || baseURL === "/" || baseURL.startsWith("./") ? "/" : baseURL.endsWith("/") ? baseURL : `${baseURL}/`;
  if (base === `${prefix}/` || base.startsWith(`${prefix}/`)) return base;
  return `${prefix}${base}`;
}
