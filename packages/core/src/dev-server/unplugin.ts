import { resolve } from "node:path";
import { createUnplugin } from "unplugin";
import { folderBaseProblem } from "./framework-base.ts";
import type { CaptunDevOptions } from "./options.ts";
import { previewBaseProblem } from "./preview.ts";
import { type DevTunnelProblem, type DevTunnelSettings, resolveDevTunnelSettings } from "./settings.ts";
import { attachToViteServer, viteConfigPatch } from "./vite-hooks.ts";
import { attachToWebpackCompiler, type BundlerCompiler } from "./webpack-hooks.ts";

/** Name of captun's plugin in a bundler's plugin list. */
export const CAPTUN_PLUGIN_NAME = "captun";

/**
 * The captun dev-server plugin for every bundler unplugin supports; adapters re-export one entry
 * (`captunUnplugin.vite`). The tunnel is only ever opened by a dev or preview server, never by a build.
 */
export const captunUnplugin = createUnplugin<CaptunDevOptions | undefined>((options = {}) => {
  let resolved: DevTunnelSettings | DevTunnelProblem | undefined;
  return {
    name: CAPTUN_PLUGIN_NAME,
    vite: {
      async config(config, env) {
        if (env.command !== "serve" || (env.isPreview && options.preview === false)) return;
        // Vitest runs Vite servers (mode "test") that never listen: nothing to share, base untouched.
        if (env.mode === "test") return;
        resolved = await resolveDevTunnelSettings(options, resolve(config.root ?? process.cwd()));
        if ("problem" in resolved) return;
        const problem = await (env.isPreview ? previewBaseProblem : folderBaseProblem)(resolved, config);
        if (problem) {
          resolved = { problem };
          return;
        }
        return viteConfigPatch(resolved, config, env);
      },
      configureServer(server) {
        attachToViteServer(server, resolved, options, "dev");
      },
      configurePreviewServer(server) {
        attachToViteServer(server, resolved, options, "preview");
      },
    },
    webpack(compiler) {
      attachToWebpackCompiler(compiler as unknown as BundlerCompiler, options, "webpack-dev-server");
    },
    rspack(compiler) {
      attachToWebpackCompiler(compiler as unknown as BundlerCompiler, options, "the Rspack dev server");
    },
  };
});
