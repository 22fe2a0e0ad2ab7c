/**
 * Keeps one tunnel's responses from reaching into another's browser state.
 *
 * Under folder routing every tunnel shares one browser origin (`https://<worker host>`), so a
 * response could otherwise install a service worker over the whole host
 * (`Service-Worker-Allowed: /`), wipe every tunnel's storage (`Clear-Site-Data`), or set cookies
 * that every tunnel receives (`Path=/`). Those two headers are dropped, and each cookie's `Path`
 * is moved under `/<name>` (added when absent, from the path the origin saw, as a browser would
 * default it). `Domain` is dropped: the cookie stays on the exact host, the only one the tunnel has.
 *
 * Under subdomain routing each tunnel is its own origin; only `Domain` needs care: a cookie for
 * the custom hostname itself would reach every tunnel (and the zone), so any `Domain` other than
 * the tunnel's own host is dropped.
 */
export interface TunnelScope {
  /** `/<name>` under folder routing; `undefined` under subdomain routing. */
  folder: string | undefined;
  /** The public hostname (no port). */
  hostname: string;
  /** The path the origin saw (without the folder), for cookies that name none. */
  originPath: string;
}

const FOLDER_ONLY_DROPPED = ["service-worker-allowed", "clear-site-data"];

export function scopeResponse(response: Response, scope: TunnelScope): Response {
  const cookies = response.headers.getSetCookie();
  const dropped = scope.folder ? FOLDER_ONLY_DROPPED.filter((name) => response.headers.has(name)) : [];
  if (cookies.length === 0 && dropped.length === 0) return response;
  // In place: every response here was built by captun (mutable headers), and a new Response
  // around the same body could lose its declared length (workerd would then send it chunked).
  const headers = response.headers;
  for (const name of dropped) headers.delete(name);
  if (cookies.length > 0) {
    headers.delete("set-cookie");
    for (const cookie of cookies) headers.append("set-cookie", scopeCookie(cookie, scope));
  }
  return response;
}

/** One `Set-Cookie` value with its `Path` and `Domain` scoped to the tunnel. */
export function scopeCookie(cookie: string, scope: TunnelScope): string {
  const [pair = "", ...attributes] = cookie.split(";");
  const kept: string[] = [];
  let hasPath = false;
  for (const attribute of attributes) {
    const [rawKey = "", ...rest] = attribute.split("=");
    const key = rawKey.trim().toLowerCase();
    const value = rest.join("=").trim();
    if (key === "domain") {
      if (!scope.folder && value.replace(/^\./, "").toLowerCase() === scope.hostname.toLowerCase()) kept.push(attribute);
      continue;
    }
    if (key === "path" && scope.folder) {
      hasPath = true;
      const path = value.startsWith("/") ? value : defaultPath(scope.originPath);
      kept.push(` Path=${scope.folder}${path === "/" ? "" : path}`);
      continue;
    }
    kept.push(attribute);
  }
  if (scope.folder && !hasPath) {
    const path = defaultPath(scope.originPath);
    kept.push(` Path=${scope.folder}${path === "/" ? "" : path}`);
  }
  return [pair, ...kept].join(";");
}

/** RFC 6265 §5.1.4: the directory of the request path, `/` when there is none. */
function defaultPath(path: string): string {
  const pathname = path.split("?")[0] ?? "";
  if (!pathname.startsWith("/")) return "/";
  const last = pathname.lastIndexOf("/");
  return last <= 0 ? "/" : pathname.slice(0, last);
}
