// Dev servers carry control endpoints meant for the person at the keyboard: they open files in an
// editor, read source files and source maps, attach a debugger, restart the server. On localhost
// only the developer reaches them; through a tunnel anyone with the link would. Requests that
// arrive through the tunnel never reach them (docs/security.md, "Dev-server endpoints"); the local
// URL is untouched.
import { errorResponse } from "../error-response.ts";
import type { Fetcher } from "../protocol.ts";
import type { WebSocketConnector } from "../websocket.ts";

/**
 * Whether `pathname` names a local-only dev-server endpoint, in any spelling a framework would
 * still route there: percent-encoded, any letter case (connect matches routes case-insensitively),
 * with doubled slashes, backslashes, dot segments or `;` parameters, behind any base path.
 *
 * - Vite (and Astro's toolbar and error overlay, which call it): `/__open-in-editor`
 * - Next: every `/__nextjs_*` endpoint (launch-editor, original-stack-frame(s), source-map,
 *   attach-nodejs-inspector, restart_dev, server_status, devtools_config, disable_dev_indicator)
 *   except `/__nextjs_font/` (the overlay's bundled fonts), and the MCP endpoint `/_next/mcp`
 * - captun's own inspector, `/__captun/` (it shows every request with its headers and replays them)
 * - Chrome DevTools workspace discovery, `/.well-known/appspecific/com.chrome.devtools.json`
 *   (Astro serves the project's absolute path there)
 * - Nuxt: the DevTools client and its auth pages, `/__nuxt_devtools__/…`; Nitro's dev server: its
 *   virtual file system `/_vfs` (`/_vfs.json`), the built server code, and `/_nitro/tasks` (runs tasks)
 * - Storybook: its server channel `/storybook-server-channel`, whose events open files in the editor
 *   and write story files (Storybook also checks Origin and a token there; this holds when
 *   `core.allowedHosts` is `true`)
 */
export function isDevControlPath(pathname: string): boolean {
  const segments = normalizedSegments(pathname);
  return segments.some((segment, i) => {
    if (segment === "__open-in-editor" || segment.startsWith("__open-in-editor.")) return true;
    if (segment === "__captun") return true;
    if (segment.startsWith("__nextjs_") && segment !== "__nextjs_font") return true;
    if (segment === "_next" && segments[i + 1] === "mcp") return true;
    if (segment === "__nuxt_devtools__" || segment === "_vfs" || segment === "_vfs.json") return true;
    if (segment === "_nitro" && segments[i + 1] === "tasks") return true;
    if (segment === "storybook-server-channel") return true;
    return segment === ".well-known" && segments[i + 1] === "appspecific" && segments[i + 2] === "com.chrome.devtools.json";
  });
}

/** Lowercased, fully percent-decoded path segments with empty, `.` and `..` segments dropped. */
function normalizedSegments(pathname: string): string[] {
  let path = pathname;
  // Decode until stable (bounded): a framework that decodes once must not see what we did not.
  for (let i = 0; i < 4; i++) {
    const decoded = decodeLoosely(path);
    if (decoded === path) break;
    path = decoded;
  }
  const segments: string[] = [];
  for (const raw of path.toLowerCase().split(/[/\\]+/)) {
    const segment = raw.split(";")[0]!.trim();
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  return segments;
}

/** Decodes every valid `%XX`, leaving malformed escapes and non-UTF-8 bytes as they are. */
function decodeLoosely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
}

function blocked(request: Request): Response {
  return errorResponse(
    request,
    404,
    "dev-endpoint-blocked",
    "This dev-server endpoint only answers on the developer's own machine, not through a captun tunnel.",
  );
}

/** `fetcher`, except that requests for dev-server control endpoints get 404 `dev-endpoint-blocked`. */
export function blockDevEndpoints(fetcher: Fetcher): Fetcher {
  return (request) => (isDevControlPath(new URL(request.url).pathname) ? blocked(request) : fetcher(request));
}

/** The same guard for WebSocket upgrades (a refused upgrade is answered with the HTTP response). */
export function blockDevEndpointUpgrades(connector: WebSocketConnector): WebSocketConnector {
  return (request) => (isDevControlPath(new URL(request.url).pathname) ? Promise.resolve(blocked(request)) : connector(request));
}
