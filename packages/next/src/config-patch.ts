// What captun changes in a Next config: the exact public host in the two origin checks, and the
// folder prefix as `basePath` under folder routing. Everything else stays the user's.
import type { DevTunnelSettings } from "captun/dev-server";
import type { NextConfig } from "next";

/** The user's config with the public URL's host allowed and, under folder routing, the app moved below `/<name>`. */
export function withTunnelConfig(settings: DevTunnelSettings, config: NextConfig): NextConfig {
  const publicHost = new URL(settings.tunnelUrl).host;
  const serverActions = config.experimental?.serverActions;
  const patched: NextConfig = {
    ...config,
    // Next compares the hostname of `Origin` here (HMR socket, dev assets)…
    allowedDevOrigins: addOnce(config.allowedDevOrigins, settings.publicHostname),
    experimental: {
      ...config.experimental,
      // …and `host` (with port) of `Origin` for Server Actions when it differs from the forwarded host.
      serverActions: { ...serverActions, allowedOrigins: addOnce(serverActions?.allowedOrigins, publicHost) },
    },
  };
  if (settings.pathPrefix) {
    patched.basePath = tunnelBasePath(settings.pathPrefix, config.basePath);
    // A path-only assetPrefix is served below basePath too; a full URL (a CDN) stays as it is.
    if (config.assetPrefix?.startsWith("/")) patched.assetPrefix = tunnelBasePath(settings.pathPrefix, config.assetPrefix);
  }
  return patched;
}

/** `/<name>` in front of the user's own `basePath`. */
export function tunnelBasePath(prefix: string, basePath: string | undefined): string {
  if (!basePath || basePath === "/") return prefix;
  if (basePath === prefix || basePath.startsWith(`${prefix}/`)) return basePath;
  return `${prefix}${basePath}`;
}

function addOnce(list: string[] | undefined, item: string): string[] {
  return list?.includes(item) ? list : [...(list ?? []), item];
}
