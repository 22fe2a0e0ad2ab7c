// Frameworks read the visitor's IP from the socket (Astro's `clientAddress` in dev is
// `req.socket.remoteAddress`), so injected connections must carry it. The captun Worker drops
// every forwarding header a visitor sends and sets `X-Forwarded-For` to the visitor's address
// itself, which makes that header trustworthy on the tunnel's side, and only there.
import { isIP } from "node:net";
import type { Dispatcher } from "undici";

/** The address an injected connection gets when the request names no visitor (a local caller). */
export const LOCAL_VISITOR_ADDRESS = "127.0.0.1";

/** The first `X-Forwarded-For` entry of undici dispatch headers, if it is an IP address. */
export function visitorAddressFromHeaders(headers: Dispatcher.DispatchOptions["headers"]): string | undefined {
  let value: unknown;
  if (Array.isArray(headers)) {
    // undici's flat form: [name, value, name, value, …]
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === "x-forwarded-for") value = headers[i + 1];
    }
  } else if (headers && typeof headers === "object" && !(Symbol.iterator in headers)) {
    for (const [name, entry] of Object.entries(headers)) {
      if (name.toLowerCase() === "x-forwarded-for") value = entry;
    }
  }
  const first = String(Array.isArray(value) ? value[0] : (value ?? ""))
    .split(",")[0]
    ?.trim();
  return first && isIP(first) ? first : undefined;
}

/**
 * A per-visitor origin for undici's connection pools: the pool key carries the address, and the
 * `connect` callback reads it back from the hostname. Nothing is ever resolved or dialled.
 */
export function visitorPoolOrigin(address: string): string {
  return isIP(address) === 6 ? `http://[${address}]` : `http://${address}`;
}

/** The visitor address encoded by {@link visitorPoolOrigin}, from undici's connect options. */
export function addressFromPoolHostname(hostname: string | undefined): string {
  const bare = hostname?.replace(/^\[|\]$/g, "") ?? "";
  return isIP(bare) ? bare : LOCAL_VISITOR_ADDRESS;
}
