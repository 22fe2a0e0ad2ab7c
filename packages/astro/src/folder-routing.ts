import type { DevTunnelSettings } from "captun/dev-server";

/**
 * Why an Astro dev server is not shared under folder routing, and how to switch. Astro's dev
 * client and its modules load from the site root (`/@vite/client`, `/@id/…`, `/src/…`), which
 * under `<server url>/<name>/` belongs to the Worker, not to this tunnel: the page would load
 * without scripts, styles or HMR. Refusing is better than sharing a page that looks half broken.
 */
export function folderRoutingProblem(settings: DevTunnelSettings): string {
  return [
    `Not sharing: the captun server at ${settings.serverUrl} uses folder routing (${settings.tunnelUrl}/), and Astro's dev server`,
    "cannot run under a folder: its client loads /@vite/client and your modules from the root of the host.",
    "Switch to subdomain routing, which serves the site at / on its own host:",
    "  • local: `npx captun server` (subdomain routing on *.localhost is its default), then restart `astro dev`;",
    '  • deployed: `npx captun deploy` and choose a custom hostname, or pass `routing: "subdomain"` and',
    "    `customHostname` to captun({ … }) (or set CAPTUN_CUSTOM_HOSTNAME) if your Worker already has one.",
  ].join("\n");
}
