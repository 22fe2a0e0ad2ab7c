// What a visitor without access sees: a small page for browser navigations (a passcode form on
// passcode tunnels), a short text answer with `x-captun-error` for everything else.
import { type CaptunErrorCode, errorResponse, PASSCODE_PATH } from "captun/internal";

export type DenialReason = "required" | "expired" | "revoked" | "invalid" | "out-of-scope" | "wrong-passcode";

const MESSAGES: Record<DenialReason, { code: CaptunErrorCode; text: string }> = {
  required: { code: "access-required", text: "This preview is private — ask its owner for a link." },
  expired: { code: "link-expired", text: "This link has expired — ask the preview's owner for a new one." },
  revoked: { code: "link-revoked", text: "This link was revoked by the preview's owner — ask them for a new one." },
  invalid: { code: "link-invalid", text: "This link is not valid for this preview — ask its owner for a new one." },
  "out-of-scope": { code: "access-required", text: "Your link does not open this page — ask the preview's owner for one that does." },
  "wrong-passcode": { code: "access-required", text: "Wrong passcode." },
};

/** Whether the request is a browser opening a page (it gets the HTML page, never a Basic prompt). */
export function isNavigation(request: Request): boolean {
  const mode = request.headers.get("sec-fetch-mode");
  if (mode) return mode === "navigate";
  return (request.method === "GET" || request.method === "HEAD") && (request.headers.get("accept")?.includes("text/html") ?? false);
}

export interface DenialOptions {
  reason: DenialReason;
  /** Show the passcode form (passcode tunnels). */
  passcode: boolean;
  /** The tunnel's path prefix (`/<name>` under folder routing, else `""`): where the form posts. */
  prefix: string;
  /** Set-Cookie headers to send along (clearing a dead cookie). */
  clearCookie?: string;
}

/** The 401 answer for a visitor without access. */
export function denial(request: Request, options: DenialOptions): Response {
  const { code, text } = MESSAGES[options.reason];
  const extra: Record<string, string> = options.clearCookie ? { "set-cookie": options.clearCookie } : {};
  if (!isNavigation(request)) {
    // API clients may answer a Basic challenge with the passcode; browsers get the form instead.
    if (options.passcode) extra["www-authenticate"] = 'Basic realm="captun preview", charset="UTF-8"';
    return errorResponse(new Request(request.url, { method: request.method }), 401, code, text, extra);
  }
  const body = options.passcode ? passcodeForm(request, options, text) : page("This preview is private", text);
  return new Response(request.method === "HEAD" ? null : body, {
    status: 401,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-captun-error": code,
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
      ...extra,
    },
  });
}

/** 429 while a visitor (or the whole tunnel) has made too many wrong guesses. */
export function throttled(request: Request, retryAfter: number): Response {
  return errorResponse(request, 429, "too-many-attempts", `Too many wrong passcodes. Try again in ${retryAfter} s.`, {
    "retry-after": String(retryAfter),
  });
}

function passcodeForm(request: Request, options: DenialOptions, text: string): string {
  const url = new URL(request.url);
  const next = url.pathname + url.search;
  const intro = options.reason === "required" ? "Enter the passcode its owner gave you, or open the link they sent." : text;
  return page(
    "This preview needs a passcode",
    intro,
    `<form method="post" action="${escapeHtml(options.prefix + PASSCODE_PATH)}">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label>Passcode <input type="password" name="passcode" autocomplete="current-password" autofocus required></label>
<button type="submit">Open</button>
</form>`,
  );
}

function page(title: string, text: string, extra = ""): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1rem;color:#222}small{color:#777}input,button{font:inherit;padding:.3rem .5rem}</style>
<h1>${escapeHtml(title)}</h1>
<p id="captun-access-message">${escapeHtml(text)}</p>
${extra}
<p><small>captun</small></p>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
