import type { Fetcher } from "../protocol.ts";

/**
 * Puts the folder prefix back in front of every path, except that the public root goes to
 * `rootPath`. The Worker hands both `/<name>` and `/<name>/` to the client as `/`, so a dev server
 * that redirects one to the other (Next's `basePath` root has no trailing slash) must get the one
 * it serves, or the visitor's browser bounces between the two forever.
 */
export function withRootPath(fetcher: Fetcher, pathPrefix: string, rootPath: string): Fetcher {
  return (request) => {
    const url = new URL(request.url);
    url.pathname = url.pathname === "/" ? rootPath : pathPrefix + url.pathname;
    return fetcher(new Request(url, request));
  };
}
