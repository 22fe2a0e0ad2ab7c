/**
 * Who may reach a tunnel, checked in the shard before a request (or a WebSocket upgrade) goes down
 * it: the client's access policy from its connect, share-link tokens, the access cookie, the
 * passcode. The model is in docs/access.md; the token format in captun's share-link.ts.
 */
import {
  ACCESS_ADMIN_PATH,
  ACCESS_COOKIE,
  ACCESS_POLICY_HEADER,
  type AccessClaims,
  type AccessKey,
  deriveAccessKey,
  errorResponse,
  PASSCODE_PATH,
  parseAccessPolicyHeader,
  passcodeVerifier,
  pathMatchesAny,
  type ServerAccessPolicy,
  SHARE_PARAM,
  signAccessToken,
  type TunnelRoute,
  verifyAccessToken,
} from "captun/internal";
import { readAtMost } from "../bounded-body.ts";
import type { Env } from "../env.ts";
import { clearCookieHeader, readCookie, setCookieHeader, withoutCookie } from "./cookies.ts";
import { handleLedgerRequest, isRevoked, type LedgerStorage, readLedger } from "./ledger.ts";
import { type DenialReason, denial, throttled } from "./pages.ts";
import { AttemptThrottle } from "./throttle.ts";

/** How long the cookie from a correct passcode lasts. */
const PASSCODE_COOKIE_MS = 24 * 60 * 60 * 1000;
const MAX_FORM_BYTES = 4096;

export class TunnelAccessGate {
  readonly #policies = new Map<string, ServerAccessPolicy>();
  readonly #throttle = new AttemptThrottle();
  /** Tokens whose signature was checked already (a browser sends the same cookie on every request). */
  readonly #verified = new Map<string, AccessClaims | undefined>();
  readonly #storage: LedgerStorage;
  readonly #env: Env;

  constructor(storage: LedgerStorage, env: Env) {
    this.#storage = storage;
    this.#env = env;
  }

  /** Takes the policy a (secret-checked) connect asks for; an answer when it is malformed. */
  connected(request: Request, name: string): Response | undefined {
    const policy = parseAccessPolicyHeader(request.headers.get(ACCESS_POLICY_HEADER));
    if (!policy) return errorResponse(request, 400, "bad-request", `The ${ACCESS_POLICY_HEADER} header is malformed; update captun.`);
    this.#policies.set(name, policy);
    return undefined;
  }

  /** The answer for a visitor who gets no further than the shard; `undefined` lets the request through. */
  async check(request: Request, route: TunnelRoute): Promise<Response | undefined> {
    const url = new URL(request.url);
    const path = route.pathAndQuery.split("?")[0] ?? "/";
    const prefix = this.#env.CUSTOM_HOSTNAME ? "" : `/${route.name}`;
    if (path === ACCESS_ADMIN_PATH) return handleLedgerRequest(request, this.#storage, route.name, this.#env.CONNECT_SECRET);
    const policy = this.#policies.get(route.name);
    const passcode = policy?.mode === "passcode";
    const token = url.searchParams.get(SHARE_PARAM);
    if (token !== null) return this.#openLink(request, url, route.name, token, prefix, passcode);
    // No policy: no client has connected under this name here, and the tunnel answers 503 anyway.
    if (!policy || policy.mode === "public") return undefined;
    if (passcode && path === PASSCODE_PATH && request.method === "POST")
      return this.#submitPasscode(request, url, route.name, prefix, policy);
    if (pathMatchesAny(path, policy.publicPaths)) return undefined;

    let reason: DenialReason = "required";
    const cookie = readCookie(request.headers, ACCESS_COOKIE);
    if (cookie) {
      const verdict = await this.#judge(cookie, route.name, policy);
      if (verdict.claims) {
        if (!verdict.claims.paths || pathMatchesAny(path, verdict.claims.paths)) return undefined;
        reason = "out-of-scope";
      } else {
        reason = verdict.reason;
      }
    }
    const basic = passcode ? basicPassword(request.headers.get("authorization")) : undefined;
    if (basic !== undefined) {
      const address = visitorAddress(request);
      const wait = this.#throttle.retryAfter(route.name, address);
      if (wait > 0) return throttled(request, wait);
      if (await this.#passcodeMatches(basic, policy)) return undefined;
      this.#throttle.failed(route.name, address);
      reason = "wrong-passcode";
    }
    const dead = cookie && reason !== "out-of-scope" ? clearCookieHeader(url, prefix) : undefined;
    return denial(request, { reason, passcode, prefix, clearCookie: dead });
  }

  /** Takes captun's own credentials out of what the tunnel's client sees: the token never reaches the app. */
  scrub(name: string, headers: Headers): void {
    const cookie = headers.get("cookie");
    if (cookie !== null) {
      const rest = withoutCookie(cookie, ACCESS_COOKIE);
      if (rest) headers.set("cookie", rest);
      else headers.delete("cookie");
    }
    if (this.#policies.get(name)?.mode === "passcode" && /^basic /i.test(headers.get("authorization") ?? ""))
      headers.delete("authorization");
  }

  /** A share link: a valid one becomes the access cookie and a 303 to the same URL without the token. */
  async #openLink(request: Request, url: URL, name: string, token: string, prefix: string, passcode: boolean): Promise<Response> {
    const verdict = await this.#judge(token, name, this.#policies.get(name));
    url.searchParams.delete(SHARE_PARAM);
    const location = url.pathname + url.search;
    if (!verdict.claims || verdict.claims.passcode !== undefined) {
      // On a public tunnel a dead link still leads to the app, just without a cookie.
      if (this.#policies.get(name)?.mode === "public") return redirectWithCookie(location, undefined);
      return denial(request, { reason: verdict.claims ? "invalid" : verdict.reason, passcode, prefix });
    }
    return redirectWithCookie(location, setCookieHeader(url, prefix, token, verdict.claims.expires));
  }

  async #submitPasscode(request: Request, url: URL, name: string, prefix: string, policy: ServerAccessPolicy): Promise<Response> {
    const address = visitorAddress(request);
    const wait = this.#throttle.retryAfter(name, address);
    if (wait > 0) return throttled(request, wait);
    const form = await readForm(request);
    const next = safeNext(form?.get("next") ?? "", url, prefix);
    const typed = form?.get("passcode") ?? "";
    if (!typed || !(await this.#passcodeMatches(typed, policy))) {
      this.#throttle.failed(name, address);
      return denial(new Request(new URL(next, url), { headers: request.headers }), { reason: "wrong-passcode", passcode: true, prefix });
    }
    const now = Date.now();
    const claims: AccessClaims = {
      name,
      issued: now,
      expires: now + PASSCODE_COOKIE_MS,
      label: "passcode",
      passcode: policy.passcodeVerifier!.slice(0, 16),
    };
    const token = await signAccessToken(await this.#key(), claims);
    return redirectWithCookie(next, setCookieHeader(url, prefix, token, claims.expires));
  }

  /** Checks a token's signature, tunnel, expiry, passcode and revocation (not its path scope). */
  async #judge(
    token: string,
    name: string,
    policy: ServerAccessPolicy | undefined,
  ): Promise<{ claims: AccessClaims } | { claims?: undefined; reason: DenialReason }> {
    let claims = this.#verified.get(token);
    if (!this.#verified.has(token)) {
      claims = await verifyAccessToken(await this.#key(), token);
      if (this.#verified.size >= 1000) this.#verified.clear();
      this.#verified.set(token, claims);
    }
    if (!claims || claims.name !== name) return { reason: "invalid" };
    if (claims.expires <= Date.now()) return { reason: "expired" };
    // A passcode cookie dies with the passcode it was given for.
    if (claims.passcode !== undefined && claims.passcode !== policy?.passcodeVerifier?.slice(0, 16)) return { reason: "expired" };
    if (isRevoked(await readLedger(this.#storage, name), claims.label, claims.issued)) return { reason: "revoked" };
    return { claims };
  }

  async #passcodeMatches(typed: string, policy: ServerAccessPolicy): Promise<boolean> {
    if (!policy.passcodeVerifier) return false;
    return constantTimeEqual(await passcodeVerifier(await this.#key(), typed), policy.passcodeVerifier);
  }

  #key(): Promise<AccessKey> {
    return deriveAccessKey(this.#env.CONNECT_SECRET);
  }
}

function redirectWithCookie(location: string, cookie: string | undefined): Response {
  const headers: Record<string, string> = { location, "cache-control": "no-store", "referrer-policy": "no-referrer" };
  if (cookie) headers["set-cookie"] = cookie;
  return new Response(null, { status: 303, headers });
}

function visitorAddress(request: Request): string {
  return request.headers.get("cf-connecting-ip") ?? "unknown";
}

function basicPassword(header: string | null): string | undefined {
  const encoded = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "")?.[1];
  if (!encoded) return undefined;
  try {
    const decoded = new TextDecoder().decode(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)));
    const colon = decoded.indexOf(":");
    return colon === -1 ? decoded : decoded.slice(colon + 1);
  } catch {
    return undefined;
  }
}

async function readForm(request: Request): Promise<URLSearchParams | undefined> {
  if (Number(request.headers.get("content-length") ?? 0) > MAX_FORM_BYTES || !request.body) return undefined;
  const bytes = await readAtMost(request.body, MAX_FORM_BYTES);
  return bytes && new URLSearchParams(new TextDecoder().decode(bytes));
}

/** Where to go after the passcode form: a path on this tunnel, never somewhere else. */
function safeNext(next: string, url: URL, prefix: string): string {
  const home = `${prefix}/`;
  if (!next.startsWith("/") || next.startsWith("//") || next.includes("\\")) return home;
  const target = new URL(next, url);
  if (target.origin !== url.origin || (prefix && target.pathname !== prefix && !target.pathname.startsWith(home))) return home;
  return target.pathname + target.search;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
