/**
 * Which tunnel a public URL belongs to, and where the tunnel's own path starts.
 *
 * - Folder routing (no custom hostname): `https://server/<name>/rest` → name, path `/rest`.
 * - Subdomain routing (custom hostname `example.com`): `https://<name>.example.com/rest` → name,
 *   path unchanged. Only the label right before the custom hostname counts; labels further left
 *   are ignored, so `a.b.example.com` is tunnel `b`.
 */

const NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export type RoutingMode = "folder" | "subdomain";

export interface TunnelRoute {
  name: string;
  /** Path and query the tunnel's client sees: the public ones, minus any folder prefix. */
  pathAndQuery: string;
}

/** Lowercases and validates a tunnel name. Returns `undefined` for anything not a DNS label. */
export function canonicalizeTunnelName(name: string): string | undefined {
  const lower = name.toLowerCase();
  return NAME_PATTERN.test(lower) ? lower : undefined;
}

/** The routing mode implied by the server's `CUSTOM_HOSTNAME` setting. */
export function routingModeFor(customHostname: string | undefined): RoutingMode {
  return customHostname ? "subdomain" : "folder";
}

/**
 * Finds the tunnel a public request is for. Returns `undefined` when the URL names no valid
 * tunnel (missing, malformed, or badly percent-encoded), so callers answer with a plain 404.
 */
export function getTunnelNameFromUrl(url: string | URL, customHostname?: string): TunnelRoute | undefined {
  const parsed = typeof url === "string" ? new URL(url) : url;
  const pathAndQuery = parsed.pathname + parsed.search;
  if (customHostname) {
    const suffix = `.${normalizeHostname(customHostname)}`;
    const host = parsed.hostname.toLowerCase();
    if (!host.endsWith(suffix)) return undefined;
    const label = host.slice(0, -suffix.length).split(".").pop() ?? "";
    const name = canonicalizeTunnelName(label);
    return name ? { name, pathAndQuery } : undefined;
  }
  const match = /^\/([^/?]*)(.*)$/s.exec(pathAndQuery);
  if (!match) return undefined;
  const [, segment = "", rest = ""] = match;
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  const name = canonicalizeTunnelName(decoded);
  if (!name) return undefined;
  return { name, pathAndQuery: rest.startsWith("/") ? rest : `/${rest}` };
}

/** The public URL of tunnel `name` on a server, for either routing mode. */
export function tunnelUrlFor(serverUrl: string | URL, name: string, customHostname?: string): string {
  const server = new URL(serverUrl);
  if (customHostname) {
    const port = server.port ? `:${server.port}` : "";
    return `${server.protocol}//${name}.${normalizeHostname(customHostname)}${port}`;
  }
  return `${server.origin}/${name}`;
}

function normalizeHostname(hostname: string): string {
  return hostname
    .toLowerCase()
    .replace(/^\*?\./, "")
    .replace(/\.$/, "");
}

/** Which of `shards` Durable Objects holds tunnel `name`: FNV-1a, stable across deploys. */
export function shardIndexFor(name: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % Math.max(1, Math.floor(shards));
}
