// Some Vite frameworks route requests below a base path of their own rather than Vite's `base`,
// so under folder routing captun cannot move them below `/<name>/` by setting Vite's base. When the
// framework's own base already is the folder, the app works as it is; otherwise captun says how to
// line the two up instead of sharing a site whose every route answers 404.
import type { PluginOption } from "vite";
import type { DevTunnelSettings } from "./settings.ts";

/** SvelteKit's setup plugin, which carries the validated SvelteKit config as its `api.options`. */
const SVELTEKIT_SETUP_PLUGIN = "vite-plugin-sveltekit-setup";

/**
 * Why a folder-routed dev server cannot be shared with these Vite `plugins`, or undefined when it
 * can. Only frameworks with their own base are checked (SvelteKit's `paths.base`).
 */
export async function folderBaseProblem(settings: DevTunnelSettings, plugins: PluginOption[] | undefined): Promise<string | undefined> {
  if (!settings.pathPrefix) return undefined;
  const kit = await findPlugin(plugins, SVELTEKIT_SETUP_PLUGIN);
  if (!kit) return undefined;
  const base = (kit.api as { options?: { paths?: { base?: string } } } | undefined)?.options?.paths?.base ?? "";
  if (base === settings.pathPrefix) return undefined;
  return [
    `Not sharing: the captun server at ${settings.serverUrl} uses folder routing (${settings.tunnelUrl}/), and SvelteKit serves`,
    `its routes under its own \`paths.base\` (${JSON.stringify(base)} here), not under Vite's base. Either put the app in that folder:`,
    `  • sveltekit({ paths: { base: "${settings.pathPrefix}" } }) and captun({ name: "${settings.name}" }) in vite.config;`,
    "or switch to subdomain routing, which serves the site at / on its own host:",
    "  • local: `npx captun server` (subdomain routing on *.localhost is its default), then restart `vite dev`;",
    '  • deployed: `npx captun deploy` and choose a custom hostname, or pass `routing: "subdomain"` and `customHostname` to captun({ … }).',
  ].join("\n");
}

/** The plugin called `name` in a Vite plugin list (nested arrays and promises, as users write them). */
async function findPlugin(plugins: PluginOption[] | undefined, name: string): Promise<{ name: string; api?: unknown } | undefined> {
  for (const option of plugins ?? []) {
    const plugin = await option;
    if (Array.isArray(plugin)) {
      const found = await findPlugin(plugin, name);
      if (found) return found;
    } else if (plugin && typeof plugin === "object" && "name" in plugin && plugin.name === name) {
      return plugin as { name: string; api?: unknown };
    }
  }
  return undefined;
}
