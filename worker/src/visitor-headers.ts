import { stripHopByHop } from "captun/internal";

/**
 * Request headers through which a visitor could claim another address, host, scheme or URL to an
 * origin or a proxy in front of it. Frameworks and proxies read different ones (Express's
 * `trust proxy`, Rails' `X-Client-IP`, Akamai's `True-Client-IP`, IIS's `X-Original-URL`, …);
 * captun sends none a visitor wrote. Every `cf-*` and `x-forwarded-*` header goes too (prefixes
 * below).
 */
const IDENTITY_HEADERS = [
  "forwarded",
  "x-real-ip",
  "true-client-ip",
  "x-client-ip",
  "x-cluster-client-ip",
  "fastly-client-ip",
  "client-ip",
  "x-original-forwarded-for",
  "x-originating-ip",
  "x-remote-ip",
  "x-remote-addr",
  "x-proxyuser-ip",
  "x-envoy-external-address",
  "x-appengine-user-ip",
  "x-azure-clientip",
  "x-azure-socketip",
  "x-host",
  "x-original-host",
  "x-original-url",
  "x-rewrite-url",
  "x-url-scheme",
  "front-end-https",
];
const IDENTITY_PREFIXES = ["cf-", "x-forwarded-"];

/**
 * The headers an origin gets: the visitor's, minus hop-by-hop and every identity header above,
 * plus captun's own `X-Forwarded-For`, `X-Real-IP`, `X-Forwarded-Proto`, `X-Forwarded-Host` and
 * RFC 7239 `Forwarded`, from what the Worker knows: the visitor's address is Cloudflare's
 * `CF-Connecting-IP` (the local server sets it from the socket the same way).
 */
export function headersForOrigin(request: Request, publicUrl: URL): Headers {
  const visitorIp = request.headers.get("cf-connecting-ip");
  const headers = stripHopByHop(new Headers(request.headers));
  const names = new Set<string>();
  for (const [name] of headers) names.add(name);
  for (const name of names) {
    if (IDENTITY_HEADERS.includes(name) || IDENTITY_PREFIXES.some((prefix) => name.startsWith(prefix))) headers.delete(name);
  }
  const proto = publicUrl.protocol.slice(0, -1);
  const forwarded = [`host="${publicUrl.host}"`, `proto=${proto}`];
  if (visitorIp) {
    headers.set("x-forwarded-for", visitorIp);
    headers.set("x-real-ip", visitorIp);
    forwarded.unshift(visitorIp.includes(":") ? `for="[${visitorIp}]"` : `for=${visitorIp}`);
  }
  headers.set("x-forwarded-proto", proto);
  headers.set("x-forwarded-host", publicUrl.host);
  headers.set("forwarded", forwarded.join(";"));
  return headers;
}
