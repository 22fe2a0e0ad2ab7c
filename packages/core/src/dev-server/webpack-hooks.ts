// The webpack side of the dev-server core, shared by `captun/webpack` (webpack-dev-server 5/6) and
// `captun/rspack` (@rspack/dev-server, built on it). A bundler plugin has no handle on the dev
// server, so captun hooks the dev server's own `onListening` option, in the options object the
// server will read: `compiler.options.devServer` (which the CLI copies after the plugins ran), or
// the options of a dev server that is itself a plugin (webpack-dev-server 6). Types are structural:
// neither bundler is a dependency of captun.
import type { Server } from "node:http";
import { resolve } from "node:path";
import pc from "picocolors";
import { serveDevInspector } from "../inspector/dev.ts";
import { accessNote } from "./access.ts";
import { exposureLine, qrCodeLines } from "./banner.ts";
import { createDevTunnel } from "./dev-tunnel.ts";
import type { CaptunDevOptions } from "./options.ts";
import { type DevTunnelProblem, type DevTunnelSettings, resolveDevTunnelSettings } from "./settings.ts";

interface DevServerOptions {
  allowedHosts?: "auto" | "all" | string | string[];
  onListening?: (devServer: DevServerInstance) => void;
  [key: string]: unknown;
}

/** What captun uses of a running webpack-dev-server (or @rspack/dev-server). */
interface DevServerInstance {
  server?: Server | null;
  options: DevServerOptions;
}

/** The part of a webpack or Rspack compiler captun reads. */
export interface BundlerCompiler {
  context: string;
  options: { devServer?: DevServerOptions | false; plugins?: unknown[] };
  getInfrastructureLogger(name: string): { info(message: string): void; warn(message: string): void; error(message: string): void };
}

/**
 * Makes a webpack or Rspack compiler's dev server (if one runs) share itself once it listens:
 * exactly the public host added to its `allowedHosts`, connections dispatched into its HTTP server.
 */
export function attachToWebpackCompiler(compiler: BundlerCompiler, options: CaptunDevOptions, devServerName: string): void {
  if (options.enabled === false || compiler.options.devServer === false) return;
  const logger = compiler.getInfrastructureLogger("captun");
  let settings: Promise<DevTunnelSettings | DevTunnelProblem> | undefined;
  const onListening = (devServer: DevServerInstance) => {
    settings ??= resolveDevTunnelSettings(options, resolve(compiler.context));
    void settings.then((resolved) => share(devServer, resolved));
  };
  const share = (devServer: DevServerInstance, resolved: DevTunnelSettings | DevTunnelProblem) => {
    if ("problem" in resolved) {
      logger.warn(`Public: not shared. ${resolved.problem}`);
      return;
    }
    if (resolved.pathPrefix) {
      logger.warn(folderRoutingProblem(resolved, devServerName));
      return;
    }
    // Exactly the public host, never "all": every other Host stays refused (DNS rebinding).
    const allowed = devServer.options.allowedHosts;
    if (allowed !== "all") {
      devServer.options.allowedHosts = [...(Array.isArray(allowed) ? allowed : []), resolved.publicHostname];
    }
    const server = devServer.server;
    if (!server) return;
    // The infrastructure logger's `[captun]` label already says who speaks.
    const strip = (message: string) => message.replace(/^captun: /, "");
    const tunnel = createDevTunnel({
      settings: resolved,
      httpServer: () => (server.listening ? server : undefined),
      logger: { info: (m) => logger.info(strip(m)), warn: (m) => logger.warn(strip(m)), error: (m) => logger.error(strip(m)) },
      inbox: options.inbox,
    });
    const inspectUrl = serveDevInspector(server, tunnel.capture, { inspect: options.inspect });
    tunnel.startWhenListening(server);
    server.once("close", () => void tunnel.stop());
    const url = resolved.shareUrl;
    logger.info(`Public: ${pc.cyan(url)}  ${pc.dim(accessNote(resolved.access))}`);
    logger.info(exposureLine(""));
    if (inspectUrl) logger.info(`Inspect: ${pc.cyan(inspectUrl)}`);
    if (options.qr ?? process.stdout.isTTY === true) for (const line of qrCodeLines(url)) logger.info(line);
  };
  for (const target of devServerOptionTargets(compiler)) {
    hmrSocketFromPage(target);
    const own = target.onListening;
    target.onListening = (devServer) => {
      own?.(devServer);
      onListening(devServer);
    };
  }
}

/**
 * The options objects a dev server of this compiler will read: `devServer` of the config, and
 * those of dev servers registered as plugins (webpack-dev-server 6 under `webpack serve`).
 */
function devServerOptionTargets(compiler: BundlerCompiler): DevServerOptions[] {
  compiler.options.devServer ??= {};
  const targets = [compiler.options.devServer as DevServerOptions];
  for (const plugin of compiler.options.plugins ?? []) {
    const candidate = plugin as { options?: unknown; isPlugin?: unknown; constructor?: { name?: string } } | null;
    if (candidate?.constructor?.name === "Server" && typeof candidate.options === "object" && candidate.options) {
      targets.push(candidate.options as DevServerOptions);
    }
  }
  return targets;
}

/**
 * Points the HMR client's WebSocket at the page's own host and port. With `--host <ip>`
 * webpack-dev-server bakes that address into the client, which then dials `ws://<ip>:<public
 * port>/ws` from a page on the public URL. An address the user chose (a string, or any of the
 * three fields) stays theirs.
 */
function hmrSocketFromPage(target: DevServerOptions): void {
  const client = target.client;
  if (client === false) return;
  const own = (client as { webSocketURL?: unknown } | undefined)?.webSocketURL;
  if (typeof own === "string") return;
  const url = (own ?? {}) as Record<string, unknown>;
  if (url.hostname !== undefined || url.port !== undefined || url.protocol !== undefined) return;
  // The client reads 0.0.0.0 and port 0 as "the page's own"; its protocol already follows the page's.
  target.client = { ...(client as object | undefined), webSocketURL: { ...url, hostname: "0.0.0.0", port: 0 } };
}

function folderRoutingProblem(settings: DevTunnelSettings, devServerName: string): string {
  return [
    `Public: not shared. The captun server at ${settings.serverUrl} uses folder routing (${settings.tunnelUrl}/), and ${devServerName}`,
    "serves the app, its bundles and its HMR socket (/ws) from the root of the host. Switch to subdomain routing:",
    "  • local: `npx captun server` (subdomain routing on *.localhost is its default), then restart the dev server;",
    '  • deployed: `npx captun deploy` and choose a custom hostname, or pass `routing: "subdomain"` and `customHostname` to captun({ … }).',
  ].join("\n");
}
