/**
 * Who may see a tunnel, as the client tells the server at connect: one header on the connect
 * request, which the connect secret already authenticates. Runtime-neutral. See docs/access.md.
 */
import { isPathGlob } from "./path-glob.ts";
import { deriveAccessKey, passcodeVerifier } from "./share-link.ts";

/** `public`: anyone with the URL. `private`: share links only. `passcode`: share links or the passcode. */
export type AccessMode = "public" | "private" | "passcode";

/** What a client asks the server to enforce for its tunnel. */
export interface AccessPolicy {
  /** @default "public" */
  mode: AccessMode;
  /** Paths open to anyone even when the tunnel is private (webhook senders have no cookie), e.g. `/api/webhooks/**`. */
  publicPaths?: string[];
  /** The passcode, with `mode: "passcode"`. Only its fingerprint leaves the machine. */
  passcode?: string;
}

/** The policy as the server holds it: the passcode replaced by its fingerprint. */
export interface ServerAccessPolicy {
  mode: AccessMode;
  publicPaths: string[];
  passcodeVerifier?: string;
}

/** Connect-request header carrying the policy (JSON). Absent means public, as older clients expect. */
export const ACCESS_POLICY_HEADER = "x-captun-access";

/** Throws a `TypeError` saying what to change when `policy` cannot be enforced as written. */
export function validateAccessPolicy(policy: AccessPolicy): void {
  if (!["public", "private", "passcode"].includes(policy.mode)) {
    throw new TypeError(`access must be "public", "private" or { passcode: "…" }, not ${JSON.stringify(policy.mode)}.`);
  }
  if (policy.mode === "passcode" && !policy.passcode) throw new TypeError("a passcode tunnel needs a non-empty passcode.");
  for (const glob of policy.publicPaths ?? []) {
    if (!isPathGlob(glob)) throw new TypeError(`publicPaths: "${glob}" is not a path glob; start it with "/", e.g. "/api/webhooks/**".`);
  }
}

/** The connect header for `policy`; none for a public tunnel without public paths. */
export async function accessPolicyHeaders(policy: AccessPolicy | undefined, secret: string | undefined): Promise<Record<string, string>> {
  if (!policy || policy.mode === "public") return {};
  validateAccessPolicy(policy);
  const wire: ServerAccessPolicy = { mode: policy.mode, publicPaths: policy.publicPaths ?? [] };
  if (policy.mode === "passcode") wire.passcodeVerifier = await passcodeVerifier(await deriveAccessKey(secret), policy.passcode!);
  return { [ACCESS_POLICY_HEADER]: JSON.stringify(wire) };
}

/** The policy a connect request asks for; a malformed one is refused (`undefined`), never weakened. */
export function parseAccessPolicyHeader(value: string | null): ServerAccessPolicy | undefined {
  if (value === null) return { mode: "public", publicPaths: [] };
  try {
    const parsed = JSON.parse(value) as Partial<ServerAccessPolicy>;
    const mode = parsed.mode;
    const publicPaths = parsed.publicPaths ?? [];
    if (mode !== "public" && mode !== "private" && mode !== "passcode") return undefined;
    if (!Array.isArray(publicPaths) || !publicPaths.every((glob) => typeof glob === "string" && isPathGlob(glob))) return undefined;
    if (mode === "passcode" && typeof parsed.passcodeVerifier !== "string") return undefined;
    return { mode, publicPaths, ...(mode === "passcode" ? { passcodeVerifier: parsed.passcodeVerifier } : {}) };
  } catch {
    return undefined;
  }
}
