// @captun/nuxt: `modules: ["@captun/nuxt"]`. Nuxt runs Vite in middleware mode inside its own HTTP
// server (listhen), so the Vite plugin has no server to share: this module shares Nuxt's listener
// instead, the way `withCaptun` shares Next's. Tunnel, settings and dispatch live in captun's core.
import type { Server } from "node:http";
import { defineNuxtModule } from "@nuxt/kit";
import { accessNote, createDevTunnel, type DevTunnel, resolveDevTunnelSettings, serveDevInspector } from "captun/dev-server";
import { nuxtConfigPatch } from "./config-patch.ts";
import type { CaptunNuxtOptions } from "./options.ts";
import { nuxtLogger, printNotShared, printPublicUrl } from "./output.ts";

export type { CaptunNuxtOptions } from "./options.ts";

export default defineNuxtModule<CaptunNuxtOptions>({
  meta: { name: "@captun/nuxt", configKey: "captun" },
  defaults: {},
  async setup(options, nuxt) {
    // `nuxt build`, `nuxt generate`, `nuxt prepare` and `nuxt typecheck` never share.
    if (!nuxt.options.dev || nuxt.options._prepare || options.enabled === false) return;
    const settings = await resolveDevTunnelSettings(options, nuxt.options.rootDir);
    if ("problem" in settings) {
      nuxt.hook("listen", () => printNotShared(settings.problem));
      return;
    }
    nuxtConfigPatch(settings, nuxt.options);
    let tunnel: DevTunnel | undefined;
    nuxt.hook("listen", (listener) => {
      const server = listener as Server;
      tunnel = createDevTunnel({
        settings,
        // Nuxt keeps this listener across its own restarts (config edits): a new instance of this
        // module takes the live tunnel over (see createDevTunnel).
        httpServer: () => (server.listening ? server : undefined),
        pathPrefix: settings.pathPrefix,
        logger: nuxtLogger,
        inbox: options.inbox,
      });
      const inspectUrl = serveDevInspector(server, tunnel.capture, { inspect: options.inspect });
      tunnel.startWhenListening(server);
      server.once("close", () => void tunnel?.stop());
      printPublicUrl(settings.shareUrl, accessNote(settings.access), { qr: options.qr ?? process.stdout.isTTY === true, inspectUrl });
    });
  },
});
