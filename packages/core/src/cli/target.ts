import { CaptunUsageError } from "./args.ts";

/**
 * The origin a `captun <port|url>` argument means: a bare port is `http://localhost:<port>`,
 * `host:port` gets `http://`, anything else must be an http(s) URL.
 */
export function parseOriginTarget(target: string): URL {
  if (/^\d+$/.test(target)) {
    const port = Number(target);
    if (port < 1 || port > 65_535) throw new CaptunUsageError(`${target} is not a port number (1–65535).`);
    return new URL(`http://localhost:${port}`);
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : `http://${target}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CaptunUsageError(`"${target}" is neither a port nor a URL. Try \`captun 3000\` or \`captun http://localhost:5173\`.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CaptunUsageError(`captun forwards HTTP: use an http:// or https:// origin, not ${url.protocol}//.`);
  }
  return url;
}
