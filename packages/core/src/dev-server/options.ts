import type { RoutingMode } from "../routing.ts";

/** Options of the dev-server integrations (`@captun/vite`, and the adapters built on the same core). */
export interface CaptunDevOptions {
  /**
   * The tunnel name: the label in `https://<name>.<custom hostname>` or the folder in
   * `https://<server>/<name>/`. Must be a DNS label.
   * @default `CAPTUN_NAME`, else a name generated once per project and kept in the captun config's `projects`, so the URL survives restarts
   */
  name?: string;
  /**
   * Where the captun server is reached, e.g. `https://captun.me.workers.dev` or the local server's `http://localhost:8787`.
   * @default `CAPTUN_SERVER_URL`, else the `serverUrl` saved by `captun deploy` / `captun server`
   */
  serverUrl?: string;
  /**
   * The server's connect secret.
   * @default `CAPTUN_SECRET`, else the saved `secret`
   */
  secret?: string;
  /**
   * How the server routes public requests: `subdomain` (`<name>.<custom hostname>`, the app at `/`) or
   * `folder` (`<server url>/<name>/`, the app under base `/<name>/`).
   * @default `subdomain` when a custom hostname is known (from `customHostname`, the saved server, or a
   * `https://*.example.com` server URL), else `folder`
   */
  routing?: RoutingMode;
  /**
   * Under subdomain routing: the zone tunnels live under (`localhost` for the local server).
   * @default `CAPTUN_CUSTOM_HOSTNAME` or the saved server's, else (with `routing: "subdomain"`) the server URL's hostname
   */
  customHostname?: string;
  /**
   * Share as soon as the dev server listens. With `false` the public URL is still reserved and the
   * `t` shortcut starts sharing.
   * @default true
   */
  enabled?: boolean;
  /**
   * Also share `vite preview`. Under folder routing the build must fit the folder: `base: "./"` or `"/<name>/"`.
   * @default true
   */
  preview?: boolean;
  /**
   * Print a QR code of the public URL under it (never for loopback URLs a phone cannot open).
   * @default true when stdout is a terminal
   */
  qr?: boolean;
  /**
   * Who may open the public URL, checked by the captun server before a request reaches this
   * machine (docs/access.md): `"private"` (the printed link is your way in, `captun share` makes
   * more), `{ passcode }` (links, or a passcode form / HTTP Basic), or `"public"` (anyone with the URL).
   * @default `CAPTUN_ACCESS` (`public` / `private`) or `CAPTUN_PASSCODE`, else `"private"`
   */
  access?: "public" | "private" | { passcode: string };
  /**
   * Paths anyone may open even when the preview is private, e.g. `["/api/webhooks/**"]` for webhook
   * senders, which have no cookie. `*` stays within a path segment, `**` crosses them.
   * @default []
   */
  publicPaths?: string[];
  /**
   * The captun config file holding the server settings and the per-project names.
   * @default `$XDG_CONFIG_HOME/captun/config.json`
   */
  configPath?: string;
  /**
   * Record what comes through the tunnel and serve the inspector at `/__captun/` on the local URL
   * (never through the public one). docs/inspector.md
   * @default true
   */
  inspect?: boolean;
  /**
   * Paths whose requests the captun server keeps while this dev server is not connected, and
   * delivers in order when it is again, e.g. `["/api/webhooks/**"]`. docs/inspector.md
   * @default []
   */
  inbox?: string[];
}
