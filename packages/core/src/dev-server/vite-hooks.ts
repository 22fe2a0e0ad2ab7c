// The Vite side of the dev-server core: what to put into Vite's config, and how to wire a
// running dev or preview server to its tunnel. Types only from `vite` (an optional peer).
import { Server } from "node:http";
import type { ConfigEnv, Logger, PreviewServer, UserConfig, ViteDevServer } from "vite";
import { inspectUrlLine } from "../inspector/dev.ts";
import { inspectorMiddleware } from "../inspector/node.ts";
import { accessNote } from "./access.ts";
import { exposureLine, publicUrlLine, qrCodeLines } from "./banner.ts";
import { trackViteChanges } from "./change-generation.ts";
import { createDevTunnel, type DevTunnel } from "./dev-tunnel.ts";
import type { CaptunDevOptions } from "./options.ts";
import { previewExposureLine, previewPathPrefix } from "./preview.ts";
import type { DevTunnelProblem, DevTunnelSettings } from "./settings.ts";
import { warmViteEntry } from "./vite-warmup.ts";

/** The part of Vite's config captun sets: the exact public host, and the folder base under folder routing. */
export function viteConfigPatch(settings: DevTunnelSettings, config: UserConfig, env: ConfigEnv): UserConfig {
  const allow = (current: true | string[] | undefined) => (current === true ? undefined : [settings.publicHostname]);
  const patch: UserConfig = {
    server: { allowedHosts: allow(config.server?.allowedHosts) },
    preview: { allowedHosts: allow(config.preview?.allowedHosts) },
  };
  if (!env.isPreview && settings.pathPrefix) patch.base = folderBase(settings.pathPrefix, config.base);
  return patch;
}

/** `/<name>/` in front of the user's own absolute base; relative or full-URL bases stay theirs. */
function folderBase(prefix: string, base: string | undefined): string | undefined {
  if (base === undefined || base === "" || base === "/") return `${prefix}/`;
  if (!base.startsWith("/") || base === prefix || base.startsWith(`${prefix}/`)) return undefined;
  return `${prefix}${base.endsWith("/") ? base : `${base}/`}`;
}

type AnyViteServer = ViteDevServer | PreviewServer;

/** Connects a started Vite dev or preview server to its tunnel: banner, `t` shortcut, close. */
export function attachToViteServer(
  server: AnyViteServer,
  resolved: DevTunnelSettings | DevTunnelProblem | undefined,
  options: CaptunDevOptions,
  kind: "dev" | "preview",
): DevTunnel | undefined {
  const logger = server.config.logger;
  const qr = options.qr ?? process.stdout.isTTY === true;
  if (!resolved) return undefined;
  if ("problem" in resolved) {
    wrapPrintUrls(server, () => [publicUrlLine(undefined, "not shared (see the captun warning)")]);
    server.httpServer?.once("listening", () => logger.warn(`captun: ${resolved.problem}`));
    return undefined;
  }
  // In middleware mode the framework owns the HTTP server; Storybook hands it to Vite for HMR.
  const hostServer = server.httpServer ? undefined : hmrHostServer(server);
  const httpServer = (server.httpServer as Server | null) ?? hostServer ?? null;
  if (!httpServer) {
    logger.warn(
      "captun: Vite runs in middleware mode here, so there is no HTTP server to share. Share your own server with `captun <port>`.",
    );
    return undefined;
  }
  // A preview serves the build at its base: re-add the folder only when the app was built inside it (preview.ts).
  const pathPrefix = kind === "dev" ? resolved.pathPrefix : previewPathPrefix(resolved, server.config.base);
  const tunnel = createDevTunnel({
    settings: resolved,
    httpServer: () => (server.httpServer as Server | null) ?? hostServer,
    pathPrefix,
    logger: { info: (m) => logger.info(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
    inbox: options.inbox,
    // A preview serves a build: nothing changes under it, and it sends no HMR.
    changes: kind === "dev" ? trackViteChanges(server as ViteDevServer) : undefined,
  });
  const inspect = options.inspect !== false;
  if (inspect) server.middlewares.use(inspectorMiddleware(tunnel.capture));
  const publicUrl = resolved.shareUrl;
  const banner = () => {
    if (!tunnel.sharing) return [publicUrlLine(publicUrl, "press t + enter to share")];
    const local = server.resolvedUrls?.local[0];
    return [
      publicUrlLine(publicUrl, accessNote(resolved.access)),
      kind === "dev" ? exposureLine() : previewExposureLine(),
      ...(inspect && local ? [inspectUrlLine(local)] : []),
      ...(qr ? qrCodeLines(publicUrl) : []),
    ];
  };
  wrapPrintUrls(server, banner);
  addSharingShortcut(server, tunnel);
  const close = server.close.bind(server);
  server.close = async () => {
    await tunnel.stop();
    await close();
  };
  if (options.enabled !== false) tunnel.startWhenListening(httpServer);
  // The first remote visitor should not wait for Vite's transforms (vite-warmup.ts).
  if (options.enabled !== false && kind === "dev" && !hostServer) warmViteEntry(server as ViteDevServer, httpServer);
  // Nobody prints a middleware-mode server's URLs (Vite cannot): say ours once the host server
  // listens, past the framework's Vite logger (Storybook's cuts lines, URLs included, to 80 columns).
  if (hostServer) whenListening(hostServer, () => console.log(banner().join("\n")));
  return tunnel;
}

/** The framework's own HTTP server that a middleware-mode Vite was given for HMR, if any. */
function hmrHostServer(server: AnyViteServer): Server | undefined {
  const options = server.config.server as { hmr?: unknown; ws?: unknown };
  for (const setting of [options.ws, options.hmr]) {
    const candidate = (setting as { server?: unknown } | undefined)?.server;
    if (candidate instanceof Server) return candidate;
  }
  return undefined;
}

function whenListening(server: Server, then: () => void): void {
  if (server.listening) setImmediate(then);
  else server.once("listening", then);
}

/** Prints captun's lines right under Vite's `➜  Local:` line (or after the URLs if there is none). */
function wrapPrintUrls(server: AnyViteServer, lines: () => string[]): void {
  const printUrls = server.printUrls.bind(server);
  server.printUrls = () => {
    const logger: Logger = server.config.logger;
    const info = logger.info;
    let printed = false;
    const printOurs = () => {
      printed = true;
      for (const line of lines()) info.call(logger, line);
    };
    logger.info = (message, options) => {
      info.call(logger, message, options);
      if (!printed && message.includes("Local")) printOurs();
    };
    try {
      printUrls();
    } finally {
      logger.info = info;
    }
    if (!printed) printOurs();
  };
}

/** Adds the `t` shortcut (start/stop sharing) to the keys Vite binds; Astro binds its keys through Vite too. */
export function addSharingShortcut(server: AnyViteServer, tunnel: DevTunnel): void {
  const bind = server.bindCLIShortcuts.bind(server) as (options?: Parameters<ViteDevServer["bindCLIShortcuts"]>[0]) => void;
  const shortcut = { key: "t", description: "start/stop sharing on the public URL", action: () => tunnel.toggle() };
  server.bindCLIShortcuts = ((shortcutOptions?: Parameters<ViteDevServer["bindCLIShortcuts"]>[0]) =>
    bind({ ...shortcutOptions, customShortcuts: [...(shortcutOptions?.customShortcuts ?? []), shortcut] })) as never;
}
