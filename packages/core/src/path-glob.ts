/**
 * Path globs for share-link scopes and public paths: `*` is any run of characters within one path
 * segment, `**` any run across segments, and `/x/**` also matches `/x` itself. Runtime-neutral.
 */

/** Whether `glob` is a usable path glob: absolute, no query, no encoded separators. */
export function isPathGlob(glob: string): boolean {
  return glob.startsWith("/") && !/[?#\\]|%2f|%5c|%2e/i.test(glob);
}

/**
 * Whether `pathname` (a URL's path, still percent-encoded) matches `glob`. A path whose encoding
 * could mean something else to the origin than it means here (an encoded `/`, `\` or `.`) never
 * matches: a dev server that decodes `/api/hooks/%2e%2e%2fsrc` must not see it as a public path.
 */
export function pathMatchesGlob(pathname: string, glob: string): boolean {
  if (/%2f|%5c|%2e|\\/i.test(pathname)) return false;
  return globPattern(glob).test(pathname);
}

/** Whether `pathname` matches any of `globs`. */
export function pathMatchesAny(pathname: string, globs: readonly string[] | undefined): boolean {
  return globs?.some((glob) => pathMatchesGlob(pathname, glob)) ?? false;
}

/** The literal start of a glob, up to its first wildcard: where a scoped link should land. */
export function globLandingPath(glob: string): string {
  const literal = glob.split("*")[0] ?? "/";
  return literal.slice(0, literal.lastIndexOf("/") + 1) || "/";
}

const cache = new Map<string, RegExp>();

function globPattern(glob: string): RegExp {
  let pattern = cache.get(glob);
  if (pattern) return pattern;
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === "*" && glob[i + 1] === "*") {
      // `/x/**` matches `/x` too: the folder itself belongs to its contents.
      if (source.endsWith("/") && i + 2 === glob.length) source = `${source.slice(0, -1)}(?:/.*)?`;
      else source += ".*";
      i++;
    } else if (char === "*") {
      source += "[^/]*";
    } else {
      source += char.replace(/[.+^${}()|[\]\\?]/g, "\\$&");
    }
  }
  pattern = new RegExp(`^${source}$`);
  if (cache.size > 1000) cache.clear();
  cache.set(glob, pattern);
  return pattern;
}
