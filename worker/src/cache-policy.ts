/**
 * What the shard's edge cache (edge-cache.ts) may keep, and for how long: the rules of a shared
 * cache (RFC 9111), narrowed to what is safe to hold for a tunnel.
 *
 * A response is kept only when the origin said it may be: `Cache-Control` without `private` or
 * `no-store`, status 200, no `Set-Cookie`, not encoded by the origin, a declared length, and no
 * `Vary` on a visitor's credentials. It is then either *fresh* for a while (`immutable` or
 * `public` with a positive `max-age`, or any `s-maxage`: served without asking the origin), or
 * *revalidated* (it has an `ETag`: the origin is asked every time, with `If-None-Match`).
 */

/** What the cache may do with a response. */
export type Keeping = { freshMs: number } | { freshMs: 0; etag: string };

/** Request headers that make the answer depend on more than the URL in ways the cache does not model. */
const BYPASS_REQUEST_HEADERS = ["authorization", "range", "if-range", "if-match", "if-unmodified-since"];
/** `Vary` on these means the response is someone's own. */
const PERSONAL_VARY = new Set(["cookie", "authorization", "*"]);

/** Whether the cache may take part in a request at all (RFC 9111 §3.5: none with `Authorization`). */
export function requestMayUseCache(method: string, headers: Headers): boolean {
  return method === "GET" && !BYPASS_REQUEST_HEADERS.some((name) => headers.has(name));
}

/** `Cache-Control` as directive → value (`true` for a bare directive), names lowercased. */
export function parseCacheControl(value: string | null): Map<string, string | true> {
  const directives = new Map<string, string | true>();
  for (const part of (value ?? "").split(",")) {
    const [rawName = "", ...rest] = part.split("=");
    const name = rawName.trim().toLowerCase();
    if (!name) continue;
    directives.set(name, rest.length > 0 ? rest.join("=").trim().replace(/^"|"$/g, "") : true);
  }
  return directives;
}

/** The header names a response varies on (lowercased), or `undefined` when it varies on something personal. */
export function varyNames(headers: Headers): string[] | undefined {
  const names = (headers.get("vary") ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  return names.some((name) => PERSONAL_VARY.has(name)) ? undefined : [...new Set(names)];
}

/** Whether and how a response to a cacheable GET may be kept; `undefined` when it may not. */
export function keeping(response: Response, maxBytes: number): Keeping | undefined {
  const { headers } = response;
  if (response.status !== 200 || headers.has("set-cookie") || !varyNames(headers)) return undefined;
  const coding = headers.get("content-encoding");
  if (coding && coding.toLowerCase() !== "identity") return undefined;
  const length = Number(headers.get("content-length") ?? Number.NaN);
  if (!(length <= maxBytes)) return undefined;
  const cc = parseCacheControl(headers.get("cache-control"));
  if (cc.has("private") || cc.has("no-store")) return undefined;
  if (!cc.has("no-cache")) {
    const shared = seconds(cc.get("s-maxage"));
    const lifetime = shared ?? seconds(cc.get("max-age"));
    const promised = shared !== undefined || cc.has("public") || cc.has("immutable");
    const age = seconds(headers.get("age") ?? undefined) ?? 0;
    if (promised && lifetime !== undefined && lifetime > age) return { freshMs: (lifetime - age) * 1000 };
  }
  const etag = headers.get("etag");
  return etag ? { freshMs: 0, etag } : undefined;
}

function seconds(value: string | true | undefined): number | undefined {
  if (typeof value !== "string" || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** RFC 9110 §8.8.3.2: weak comparison, the one `If-None-Match` uses. */
export function etagMatches(ifNoneMatch: string | null, etag: string | null): boolean {
  if (!ifNoneMatch || !etag) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((tag) => opaque(tag) === opaque(etag));
}
