// @captun/astro: `integrations: [captun()]`. The tunnel, names, settings and dispatch into the dev
// server live in captun's dev-server core; this file only maps them onto Astro's hooks.
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import type { AstroIntegration, AstroIntegrationLogger } from "astro";
import {
  accessNote,
  addSharingShortcut,
  type CaptunDevOptions,
  createDevTunnel,
  type DevTunnel,
  type DevTunnelSettings,
  devInspectorUrl,
  exposureLine,
  inspectorMiddleware,
  qrCodeLines,
  resolveDevTunnelSettings,
  trackViteChanges,
} from "captun/dev-server";
import pc from "picocolors";
import { folderRoutingProblem } from "./folder-routing.ts";

/** The same options as `@captun/vite`; `preview` has no effect (Astro's preview belongs to its adapter). */
export type CaptunAstroOptions = CaptunDevOptions;

/** Shares the `astro dev` server on a public URL served by your captun server, HMR included. */
export default function captun(options: CaptunAstroOptions = {}): AstroIntegration {
  // Settled in `astro:config:setup` (before Vite reads `server.allowedHosts`); a string says why not.
  let settings: DevTunnelSettings | string | undefined;
  let tunnel: DevTunnel | undefined;

  return {
    name: "@captun/astro",
    hooks: {
      async "astro:config:setup"({ command, config, updateConfig, logger }) {
        settings = undefined;
        if (command !== "dev") return;
        const resolved = await resolveDevTunnelSettings(options, fileURLToPath(config.root));
        if ("problem" in resolved) {
          settings = resolved.problem;
        } else if (resolved.routing === "folder") {
          settings = folderRoutingProblem(resolved);
        } else {
          settings = resolved;
          // Exactly the public host, never `true`: every other Host stays refused (DNS rebinding).
          if (config.server.allowedHosts !== true) updateConfig({ server: { allowedHosts: [resolved.publicHostname] } });
          return;
        }
        logger.warn(settings);
      },

      "astro:server:setup"({ server, logger }) {
        if (typeof settings !== "object") return;
        tunnel = createDevTunnel({
          settings,
          // Read per connection: a restart (config edit) gives the same Vite server a new HTTP server.
          httpServer: () => (server.httpServer as Server | null) ?? undefined,
          logger: integrationLogger(logger),
          inbox: options.inbox,
          changes: trackViteChanges(server),
        });
        if (options.inspect !== false) server.middlewares.use(inspectorMiddleware(tunnel.capture));
        addSharingShortcut(server, tunnel);
        // `astro dev --tunnel` shares even when the config says `enabled: false`.
        if (server.httpServer && (options.enabled !== false || process.argv.includes("--tunnel"))) {
          tunnel.startWhenListening(server.httpServer);
        }
      },

      "astro:server:start"({ address, logger }) {
        // Astro prints its `┃ Local` banner right after this hook returns: print under it.
        setImmediate(() => {
          for (const line of bannerLines(settings, tunnel, options)) logger.info(line);
          if (tunnel && options.inspect !== false) {
            logger.info(`${pc.bold("Inspect")} ${pc.cyan(devInspectorUrl(`http://localhost:${address.port}`))}`);
          }
        });
      },

      async "astro:server:done"() {
        await tunnel?.stop();
        tunnel = undefined;
      },
    },
  };
}

function bannerLines(settings: DevTunnelSettings | string | undefined, tunnel: DevTunnel | undefined, options: CaptunAstroOptions) {
  const label = pc.bold("Public");
  if (typeof settings !== "object") return [`${label}  ${pc.dim("not shared (see the warning above)")}`];
  const url = settings.shareUrl;
  if (!tunnel?.sharing) return [`${label}  ${pc.cyan(url)}  ${pc.dim("press t + enter to share")}`];
  const qr = options.qr ?? process.stdout.isTTY === true;
  return [`${label}  ${pc.cyan(url)}  ${pc.dim(accessNote(settings.access))}`, exposureLine(""), ...(qr ? qrCodeLines(url) : [])];
}

/** Tunnel news through Astro's logger, whose `[@captun/astro]` label already says who speaks. */
function integrationLogger(logger: AstroIntegrationLogger) {
  const strip = (message: string) => message.replace(/^captun: /, "");
  return {
    info: (message: string) => logger.info(strip(message)),
    warn: (message: string) => logger.warn(strip(message)),
    error: (message: string) => logger.error(strip(message)),
  };
}
