// Some Vite frameworks route requests below a base path of their own rather than Vite's `base`
// (SvelteKit's `paths.base`), or read the user's `base` before captun's plugin changes it (React
// Router, whose `basename` must begin with it), so under folder routing captun cannot move them
// below `/<name>/` by setting Vite's base. When the app already lives in that folder it works as
// it is; otherwise captun says how to line the two up instead of sharing a site whose every route
// answers 404.
import type { PluginOption, UserConfig } from "vite";
import type { DevTunnelSettings } from "./settings.ts";

/** SvelteKit's setup plugin, which carries the validated SvelteKit config as its `api.options`. */
const SVELTEKIT_SETUP_PLUGIN = "vite-plugin-sveltekit-setup";
/** React Router's framework-mode plugin. */
const REACT_ROUTER_PLUGIN = "react-router";
/** SolidStart's config plugin. */
const SOLID_START_PLUGIN = "solid-start:config";

const SUBDOMAIN_HINT = [
  "or switch to subdomain routing, which serves the site at / on its own host:",
  "  • local: `npx captun server` (subdomain routing on *.localhost is its default), then restart the dev server;",
  '  • deployed: `npx captun deploy` and choose a custom hostname, or pass `routing: "subdomain"` and `customHostname` to captun({ … }).',
];

/**
 * Why a folder-routed dev server cannot be shared with this Vite config, or undefined when it can.
 * Only frameworks with a base of their own are checked; `config` is the config captun's `config`
 * hook receives (the user's, merged with the hooks of plugins listed before captun).
 */
export async function folderBaseProblem(settings: DevTunnelSettings, config: UserConfig): Promise<string | undefined> {
  const prefix = settings.pathPrefix;
  if (!prefix) return undefined;
  const where = `the captun server at ${settings.serverUrl} uses folder routing (${settings.tunnelUrl}/)`;
  if (config.server?.middlewareMode) {
    // Storybook: its own server serves the pages at the root and hands Vite only the modules.
    return [
      `Not sharing: ${where}, and Vite runs in middleware mode inside another server that serves its pages from the root;`,
      ...SUBDOMAIN_HINT,
    ].join("\n");
  }
  const kit = await findPlugin(config.plugins, SVELTEKIT_SETUP_PLUGIN);
  if (kit) {
    const base = (kit.api as { options?: { paths?: { base?: string } } } | undefined)?.options?.paths?.base ?? "";
    if (base === prefix) return undefined;
    return [
      `Not sharing: ${where}, and SvelteKit serves its routes under its own \`paths.base\``,
      `(${JSON.stringify(base)} here), not under Vite's base. Either put the app in that folder:`,
      `  • sveltekit({ paths: { base: "${prefix}" } }) and captun({ name: "${settings.name}" }) in vite.config;`,
      ...SUBDOMAIN_HINT,
    ].join("\n");
  }
  if (await findPlugin(config.plugins, REACT_ROUTER_PLUGIN)) {
    const base = config.base ?? "/";
    if (base === prefix || base.startsWith(`${prefix}/`)) return undefined;
    return [
      `Not sharing: ${where}, and React Router reads Vite's \`base\` and its own \`basename\` before captun can`,
      `move the app below the folder (\`base\` is ${JSON.stringify(base)} here). Either put the app in that folder:`,
      `  • base: "${prefix}/" and captun({ name: "${settings.name}" }) in vite.config, and basename: "${prefix}/" in react-router.config;`,
      ...SUBDOMAIN_HINT,
    ].join("\n");
  }
  if (await findPlugin(config.plugins, SOLID_START_PLUGIN)) {
    // Tried with SolidStart 2.0.5: below a Vite base its dev client fails to load a dependency, on
    // the local URL too, so the page never hydrates.
    return [`Not sharing: ${where}, and SolidStart's dev client does not run below a Vite base (/<name>/);`, ...SUBDOMAIN_HINT].join("\n");
  }
  return undefined;
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
