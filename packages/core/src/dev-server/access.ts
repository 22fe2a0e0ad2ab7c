// Dev servers share privately unless told otherwise: the printed public URL is the owner's share
// link, so the developer is one click from the app while nobody else gets past the captun server.
import { type AccessPolicy, validateAccessPolicy } from "../access-policy.ts";
import { createShareLink } from "../share-link.ts";
import type { CaptunDevOptions } from "./options.ts";

/** How long the owner's link printed by a dev server works (and the cookie it sets). */
export const OWNER_LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** The label of that link: `captun share --revoke owner` revokes it. */
export const OWNER_LINK_LABEL = "owner";

/** The access policy from `access` / `publicPaths`, else `CAPTUN_ACCESS` / `CAPTUN_PASSCODE`, else private. */
export function devAccessPolicy(
  options: Pick<CaptunDevOptions, "access" | "publicPaths">,
  env: NodeJS.ProcessEnv = process.env,
): AccessPolicy {
  const access = options.access ?? (env.CAPTUN_PASSCODE ? { passcode: env.CAPTUN_PASSCODE } : env.CAPTUN_ACCESS || "private");
  const policy: AccessPolicy =
    typeof access === "object" && access !== null
      ? { mode: "passcode", passcode: access.passcode }
      : { mode: access as AccessPolicy["mode"] };
  if (policy.mode === "passcode" && typeof access === "string")
    throw new TypeError('access: "passcode" needs the passcode: use { passcode: "…" }.');
  if (options.publicPaths?.length) policy.publicPaths = options.publicPaths;
  try {
    validateAccessPolicy(policy);
  } catch (error) {
    throw new TypeError(`captun(): ${(error as Error).message} Set \`access\` / \`publicPaths\` in captun({ … }) or CAPTUN_ACCESS.`);
  }
  return policy;
}

/** The URL to print for a dev server: the owner's share link unless the preview is public. */
export async function devShareUrl(tunnelUrl: string, name: string, secret: string | undefined, policy: AccessPolicy): Promise<string> {
  if (policy.mode === "public") return `${tunnelUrl}/`;
  const link = await createShareLink({ tunnelUrl, name, secret, ttlMs: OWNER_LINK_TTL_MS, label: OWNER_LINK_LABEL });
  return link.url;
}

/** What the banner says after the URL: who can open it. */
export function accessNote(policy: AccessPolicy, name?: string): string {
  const share = name ? `npx captun share --name ${name}` : "npx captun share";
  switch (policy.mode) {
    case "public":
      return "public: anyone with the URL";
    case "private":
      return `private: this link is yours for 7 days · more: ${share}`;
    case "passcode":
      return `passcode-protected · links for others: ${share}`;
  }
}
