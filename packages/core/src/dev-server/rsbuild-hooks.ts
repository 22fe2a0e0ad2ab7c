// The Rsbuild side of the dev-server core (`captun/rsbuild`). Rsbuild runs its own dev server (not
// @rspack/dev-server) and hands plugins its HTTP server. Types are structural: Rsbuild is not a
// dependency of captun.
import type { Server } from "node:http";
import { resolve } from "node:path";
import { inspectUrlLine, serveDevInspector } from "../inspector/dev.ts";
import { accessNote } from "./access.ts";
import { exposureLine, publicUrlLine, qrCodeLines } from "./banner.ts";
import { createDevTunnel, type DevTunnel } from "./dev-tunnel.ts";
import type { CaptunDevOptions } from "./options.ts";
import { type DevTunnelProblem, type DevTunnelSettings, resolveDevTunnelSettings } from "./settings.ts";

interface RsbuildConfig {
  server?: { allowedHosts?: string[] | true; base?: string };
  dev?: { assetPrefix?: string | boolean; client?: { path?: string } };
}

/** The part of Rsbuild's plugin API captun uses. */
export interface RsbuildPluginApi {
  context: { rootPath: string; action?: string };
  logger: { info(message: string): void; warn(message: string): void; error(message: string): void };
  modifyRsbuildConfig(handler: (config: RsbuildConfig) => RsbuildConfig | undefined | Promise<RsbuildConfig | undefined>): void;
  onBeforeStartDevServer(handler: (params: { server: { httpServer: unknown } }) => void): void;
  onAfterStartDevServer(handler: (params: { port: number }) => void): void;
  onCloseDevServer(handler: () => void | Promise<void>): void;
  getNormalizedConfig(): { server?: { host?: string } };
}

/** `setup` of captun's Rsbuild plugin: shares `rsbuild dev` once it listens. */
export function setupRsbuildPlugin(api: RsbuildPluginApi, options: CaptunDevOptions): void {
  if (options.enabled === false || api.context.action !== "dev") return;
  let resolved: DevTunnelSettings | DevTunnelProblem | undefined;
  let httpServer: Server | undefined;
  let tunnel: DevTunnel | undefined;

  api.modifyRsbuildConfig(async (config) => {
    resolved = await resolveDevTunnelSettings(options, resolve(api.context.rootPath));
    if ("problem" in resolved) return config;
    config.server ??= {};
    // Rsbuild checks Host only when `allowedHosts` lists hosts: then exactly the public one joins them.
    const allowed = config.server.allowedHosts;
    if (Array.isArray(allowed)) config.server.allowedHosts = [...allowed, resolved.publicHostname];
    if (resolved.pathPrefix) {
      config.server.base = folderBase(resolved.pathPrefix, config.server.base);
      // Bundles load from the same folder, unless the user put them elsewhere (a CDN, another path).
      config.dev ??= {};
      if (config.dev.assetPrefix === undefined || config.dev.assetPrefix === "/") config.dev.assetPrefix = `${config.server.base}/`;
      // …and so does the HMR socket: at `/rsbuild-hmr` it would dial the captun server's root.
      config.dev.client ??= {};
      const path = config.dev.client.path;
      if (path === undefined || path === "/rsbuild-hmr") config.dev.client.path = `${config.server.base}/rsbuild-hmr`;
    }
    return config;
  });

  api.onBeforeStartDevServer(({ server }) => {
    httpServer = (server.httpServer as Server | null) ?? undefined;
  });

  api.onAfterStartDevServer(() => {
    if (!resolved) return;
    if ("problem" in resolved) {
      console.log(publicUrlLine(undefined, "not shared (see the captun warning)"));
      api.logger.warn(`captun: ${resolved.problem}`);
      return;
    }
    const server = httpServer;
    if (!server) {
      api.logger.warn(
        "captun: Rsbuild runs in middleware mode here, so there is no HTTP server to share. Share your own server with `captun <port>`.",
      );
      return;
    }
    tunnel = createDevTunnel({
      settings: resolved,
      httpServer: () => (server.listening ? server : undefined),
      pathPrefix: resolved.pathPrefix,
      logger: { info: (m) => api.logger.info(m), warn: (m) => api.logger.warn(m), error: (m) => api.logger.error(m) },
      inbox: options.inbox,
    });
    // Rsbuild prints `localhost` for the loopback address its default host resolved to.
    const host = api.getNormalizedConfig().server?.host;
    const inspectUrl = serveDevInspector(server, tunnel.capture, {
      inspect: options.inspect,
      hostname: host === "localhost" ? host : undefined,
    });
    tunnel.startWhenListening(server);
    const url = resolved.shareUrl;
    console.log(publicUrlLine(url, accessNote(resolved.access)));
    console.log(exposureLine());
    if (inspectUrl) console.log(inspectUrlLine(inspectUrl));
    if (options.qr ?? process.stdout.isTTY === true) for (const line of qrCodeLines(url)) console.log(line);
  });

  api.onCloseDevServer(async () => {
    await tunnel?.stop();
  });
}

/** `/<name>` in front of the user's own `server.base`, once. */
function folderBase(prefix: string, base: string | undefined): string {
  if (!base || base === "/") return prefix;
  if (base === prefix || base.startsWith(`${prefix}/`)) return base;
  return `${prefix}${base.startsWith("/") ? base : `/${base}`}`;
}
