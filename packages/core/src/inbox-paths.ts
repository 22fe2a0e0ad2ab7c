// The webhook inbox's part of the wire contract: how a client names its inbox paths when it
// connects, and the headers a late delivery carries. Runtime-neutral (the Worker imports it).

/**
 * Request header on the connect WebSocket naming the tunnel's inbox paths, comma-separated
 * (`/webhooks/**, /stripe`). Absent: the tunnel has no inbox, and the shard forgets any it had.
 */
export const INBOX_HEADER = "captun-inbox";

/** On a late delivery: the id the sender got in its 202 answer. */
export const INBOX_ID_HEADER = "captun-inbox-id";

/** On a late delivery: when the request reached the shard (ISO 8601). */
export const INBOX_ARRIVED_HEADER = "captun-inbox-arrived-at";

/** On the shard's 202 answer to a stored request. */
export const INBOX_STATUS_HEADER = "x-captun-inbox";

/** Patterns a tunnel may register, and how long each may be. */
export const MAX_INBOX_PATTERNS = 16;
const MAX_PATTERN_LENGTH = 256;

/**
 * Checks inbox path patterns a user gave: each starts with `/`, has no comma, whitespace or `?`.
 * Returns a message saying what to change, or undefined when they are fine.
 */
export function inboxPatternProblem(patterns: readonly string[]): string | undefined {
  if (patterns.length > MAX_INBOX_PATTERNS) return `At most ${MAX_INBOX_PATTERNS} inbox paths can be registered, not ${patterns.length}.`;
  for (const pattern of patterns) {
    if (!pattern.startsWith("/") || pattern.length > MAX_PATTERN_LENGTH || /[\s,?#]/.test(pattern)) {
      return `The inbox path ${JSON.stringify(pattern)} must start with "/" and hold no spaces, commas, "?" or "#" (e.g. "/webhooks/**").`;
    }
  }
  return undefined;
}

/** The {@link INBOX_HEADER} value for `patterns`. */
export function encodeInboxPatterns(patterns: readonly string[]): string {
  return patterns.join(", ");
}

/** Patterns from an {@link INBOX_HEADER} value; invalid ones are dropped (never trusted further). */
export function decodeInboxPatterns(value: string | null): string[] {
  if (!value) return [];
  const patterns = value
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  return patterns.filter((p) => inboxPatternProblem([p]) === undefined).slice(0, MAX_INBOX_PATTERNS);
}

/**
 * Whether `pathname` matches one of `patterns`: `*` stands for anything within one segment, `**`
 * for anything at all (so `/webhooks/**` matches `/webhooks`, `/webhooks/` and everything below).
 */
export function matchesInboxPath(patterns: readonly string[], pathname: string): boolean {
  return patterns.some((pattern) => patternRegExp(pattern).test(pathname));
}

const compiled = new Map<string, RegExp>();

function patternRegExp(pattern: string): RegExp {
  let regexp = compiled.get(pattern);
  if (!regexp) {
    let source = "";
    for (let i = 0; i < pattern.length; i++) {
      if (pattern.startsWith("/**", i) && i + 3 === pattern.length) {
        source += "(?:/.*)?";
        break;
      }
      if (pattern.startsWith("**", i)) {
        source += ".*";
        i++;
      } else if (pattern[i] === "*") {
        source += "[^/]*";
      } else {
        source += pattern[i]!.replace(/[.+^${}()|[\]\\]/g, "\\$&");
      }
    }
    regexp = new RegExp(`^${source}$`);
    if (compiled.size < 256) compiled.set(pattern, regexp);
  }
  return regexp;
}
