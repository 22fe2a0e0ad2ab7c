// The access cookie: HttpOnly, SameSite=Lax, Secure on https, scoped to the tunnel (its host under
// subdomain routing, its `/<name>` folder under folder routing), expiring with its link.

/** A cookie's value from a request, or `undefined`. */
export function readCookie(headers: Headers, name: string): string | undefined {
  for (const part of (headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A `Cookie` header without the cookie `name` (empty when nothing is left). */
export function withoutCookie(header: string, name: string): string {
  return header
    .split(";")
    .filter((part) => part.split("=")[0]?.trim() !== name)
    .map((part) => part.trim())
    .filter(Boolean)
    .join("; ");
}

/** Sets the access cookie on the tunnel (`prefix` is `/<name>` under folder routing, else `""`). */
export function setCookieHeader(url: URL, prefix: string, token: string, expires: number): string {
  const maxAge = Math.max(0, Math.floor((expires - Date.now()) / 1000));
  return `captun_access=${token}; Path=${prefix || "/"}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${url.protocol === "https:" ? "; Secure" : ""}`;
}

/** Removes a dead access cookie. */
export function clearCookieHeader(url: URL, prefix: string): string {
  return `captun_access=; Path=${prefix || "/"}; Max-Age=0; HttpOnly; SameSite=Lax${url.protocol === "https:" ? "; Secure" : ""}`;
}
