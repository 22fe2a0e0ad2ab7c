// `vite preview` serves files built earlier, with their asset URLs baked in: captun cannot move the
// app below `/<name>/` the way it does for `vite dev` (the build is never touched), so under folder
// routing a preview is shared only when the build already fits the folder — relative URLs
// (`base: "./"`) or a base inside it (`base: "/<name>/"`, SvelteKit's `paths.base`) — and refused
// with the way out otherwise, instead of sharing a page whose scripts load from the Worker's root.
import pc from "picocolors";
import type { UserConfig } from "vite";
import { folderBaseProblem } from "./framework-base.ts";
import type { DevTunnelSettings } from "./settings.ts";

/** Under the public URL of a preview: what visitors get (unlike `vite dev`, no source and no HMR). */
export const PREVIEW_EXPOSURE_NOTE = "anyone with this URL can use the built app (no module source, no HMR in a preview)";

export function previewExposureLine(indent = " ".repeat(14)): string {
  return indent + pc.dim(PREVIEW_EXPOSURE_NOTE);
}

/**
 * Why a folder-routed `vite preview` cannot be shared with this config, or undefined when it can.
 * `config` is what captun's `config` hook receives: the user's config (and CLI flags such as
 * `--base`) merged with the hooks of the plugins before captun (SvelteKit's sets `base` from `paths.base`).
 */
export async function previewBaseProblem(settings: DevTunnelSettings, config: UserConfig): Promise<string | undefined> {
  const prefix = settings.pathPrefix;
  if (!prefix) return undefined;
  const framework = await folderBaseProblem(settings, config);
  if (framework) return framework;
  const base = config.base ?? "/";
  if (base === "" || base.startsWith(".") || /^([a-z]+:)?\/\//i.test(base)) return undefined;
  if (base === prefix || base.startsWith(`${prefix}/`)) return undefined;
  return [
    `Not sharing this preview: the captun server at ${settings.serverUrl} uses folder routing (${settings.tunnelUrl}/),`,
    `and this build loads its files from ${JSON.stringify(base)} on the host, outside the tunnel's folder. Either build for the folder:`,
    `  • base: "./" (relative URLs), or base: "${prefix}/" with captun({ name: "${settings.name}" }), in vite.config, then build again;`,
    "or switch to subdomain routing, which serves the app at / on its own host:",
    "  • local: `npx captun server` (subdomain routing on *.localhost is its default), then start the preview again;",
    '  • deployed: `npx captun deploy` and choose a custom hostname, or pass `routing: "subdomain"` and `customHostname` to captun({ … }).',
  ].join("\n");
}

/** The folder to re-add in front of what a preview's tunnel sees: the prefix when the app is served inside it. */
export function previewPathPrefix(settings: DevTunnelSettings, resolvedBase: string): string {
  const prefix = settings.pathPrefix;
  return prefix && resolvedBase.startsWith(`${prefix}/`) ? prefix : "";
}
