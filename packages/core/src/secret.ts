/**
 * Whether `request` presents `expected` as `Authorization: Bearer <secret>`. Compares SHA-256
 * digests with `timingSafeEqual`, so neither the secret's content nor its length leaks through
 * timing. Needs Web Crypto with workerd's `crypto.subtle.timingSafeEqual`.
 */
export async function bearerSecretMatches(request: Request, expected: string): Promise<boolean> {
  const presented = /^Bearer (.+)$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  const subtle = crypto.subtle as SubtleCrypto & { timingSafeEqual(a: ArrayBuffer, b: ArrayBuffer): boolean };
  return subtle.timingSafeEqual(a, b);
}

/**
 * A fresh connect secret: 24 random bytes as 48 hex digits. Hex rather than base64url because one
 * base64url secret in 64 starts with "-", and `--secret -Ab…` then reads as a flag to the CLI's
 * argument parser (and to most others people paste it into).
 */
export function newConnectSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
