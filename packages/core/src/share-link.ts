/**
 * Share links and access cookies: one signed token format, minted offline by the client and checked
 * by the Worker without storage. Runtime-neutral (Web Crypto only), so Node and workerd run the same
 * code. See docs/access.md.
 *
 * A token is `v1.<claims>.<signature>`: `claims` is base64url JSON, `signature` is base64url
 * HMAC-SHA-256 over `v1.<claims>` with a key derived (HKDF-SHA-256) from the connect secret. The
 * same token is the share link's `?captun_share=` value and, once opened, the access cookie's value.
 */
import { globLandingPath, isPathGlob } from "./path-glob.ts";

/** Query parameter that carries a share link's token. */
export const SHARE_PARAM = "captun_share";
/** Cookie that carries a visitor's access token (HttpOnly, scoped to the tunnel). */
export const ACCESS_COOKIE = "captun_access";
/** Path under a tunnel for the owner's link management (`captun share`); needs the connect secret. */
export const ACCESS_ADMIN_PATH = "/__captun-access";
/** Path under a tunnel the passcode form posts to. */
export const PASSCODE_PATH = "/__captun-passcode";

/** What a token says. Times are milliseconds since the epoch. */
export interface AccessClaims {
  /** The tunnel it opens. */
  name: string;
  /** When it stops working (and its cookie expires). */
  expires: number;
  /** When it was minted; revocations apply to tokens minted before them. */
  issued: number;
  /** Who it was for, e.g. `owner` or `alice`; `captun share --revoke <label>` revokes by it. */
  label: string;
  /** Paths it opens (globs); all paths when absent. */
  paths?: string[];
  /** Set on cookies the passcode form hands out: the current passcode's fingerprint. */
  passcode?: string;
}

/** The HMAC key tokens are signed with (a Web Crypto `CryptoKey`, named so in every runtime's types). */
export type AccessKey = Awaited<ReturnType<typeof crypto.subtle.deriveKey>>;

const VERSION = "v1";
const encoder = new TextEncoder();
const keys = new Map<string, Promise<AccessKey>>();

/** The HMAC key for tokens, derived from the connect secret (`""` for a server without one). */
export function deriveAccessKey(secret: string | undefined): Promise<AccessKey> {
  const ikm = secret ?? "";
  let key = keys.get(ikm);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey("raw", encoder.encode(ikm), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: encoder.encode("captun"), info: encoder.encode("captun access tokens v1") },
        base,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign", "verify"],
      );
    })();
    if (keys.size > 16) keys.clear();
    keys.set(ikm, key);
  }
  return key;
}

/** Signs `claims` into a token. */
export async function signAccessToken(key: AccessKey, claims: AccessClaims): Promise<string> {
  const wire: Record<string, unknown> = { n: claims.name, e: claims.expires, i: claims.issued, l: claims.label };
  if (claims.paths?.length) wire.p = claims.paths;
  if (claims.passcode) wire.c = claims.passcode;
  const body = `${VERSION}.${toBase64Url(encoder.encode(JSON.stringify(wire)))}`;
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(body)));
  return `${body}.${toBase64Url(signature)}`;
}

/**
 * The claims of a token whose signature is valid; `undefined` for anything forged, altered or
 * malformed. Expiry, tunnel name, scope and revocation are the caller's to check.
 */
export async function verifyAccessToken(key: AccessKey, token: string): Promise<AccessClaims | undefined> {
  if (token.length > 4096) return undefined;
  const [version, claims, signature, extra] = token.split(".");
  if (version !== VERSION || !claims || !signature || extra !== undefined) return undefined;
  const mac = fromBase64Url(signature);
  // Only the canonical encoding: the last character's unused bits must not make a second valid token.
  if (mac?.length !== 32 || toBase64Url(mac) !== signature) return undefined;
  const valid = await crypto.subtle.verify("HMAC", key, mac, encoder.encode(`${version}.${claims}`));
  if (!valid) return undefined;
  try {
    const wire = JSON.parse(new TextDecoder().decode(fromBase64Url(claims))) as Record<string, unknown>;
    const { n, e, i, l, p, c } = wire;
    if (typeof n !== "string" || typeof e !== "number" || typeof i !== "number" || typeof l !== "string") return undefined;
    if (p !== undefined && !(Array.isArray(p) && p.every((glob) => typeof glob === "string"))) return undefined;
    if (c !== undefined && typeof c !== "string") return undefined;
    return { name: n, expires: e, issued: i, label: l, ...(p ? { paths: p as string[] } : {}), ...(c ? { passcode: c } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * The fingerprint of a passcode under the connect secret's key: what the client sends at connect
 * (never the passcode itself) and what the Worker compares a typed passcode against.
 */
export async function passcodeVerifier(key: AccessKey, passcode: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`passcode\0${passcode}`));
  return toBase64Url(new Uint8Array(mac));
}

export interface CreateShareLinkOptions {
  /** The tunnel's public URL, e.g. `https://my-app.tunnels.dev` or `https://server/my-app`. */
  tunnelUrl: string;
  /** The tunnel name. */
  name: string;
  /** The server's connect secret. */
  secret: string | undefined;
  /** How long the link (and the cookie it sets) works, in ms. */
  ttlMs: number;
  /** @default "share" */
  label?: string;
  /** Path globs the link opens, relative to the tunnel (`/checkout/**`). @default every path */
  paths?: string[];
  /** @default Date.now() */
  now?: number;
}

/** A share link: its URL (landing on the first scoped path, or the app's root) and its claims. */
export async function createShareLink(options: CreateShareLinkOptions): Promise<{ url: string; claims: AccessClaims }> {
  for (const glob of options.paths ?? []) {
    if (!isPathGlob(glob)) throw new TypeError(`"${glob}" is not a path glob: start it with "/", e.g. "/checkout/**".`);
  }
  const issued = options.now ?? Date.now();
  const claims: AccessClaims = {
    name: options.name,
    expires: issued + options.ttlMs,
    issued,
    label: options.label ?? "share",
    ...(options.paths?.length ? { paths: options.paths } : {}),
  };
  const token = await signAccessToken(await deriveAccessKey(options.secret), claims);
  const landing = options.paths?.length ? globLandingPath(options.paths[0]!) : "/";
  const url = new URL(options.tunnelUrl.replace(/\/$/, "") + landing);
  url.searchParams.set(SHARE_PARAM, token);
  return { url: url.href, claims };
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}
