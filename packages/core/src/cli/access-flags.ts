// `captun <port|url>` access flags: public by default (webhooks, APIs), private or passcode when asked.
import type { AccessPolicy } from "../access-policy.ts";
import { isPathGlob } from "../path-glob.ts";
import { CaptunUsageError } from "./args.ts";

export const ACCESS_OPTIONS = {
  private: { type: "boolean" },
  passcode: { type: "string" },
  "public-path": { type: "string", multiple: true },
} as const;

export function accessPolicyFromFlags(values: { private?: boolean; passcode?: string; "public-path"?: string[] }): AccessPolicy {
  const publicPaths = values["public-path"] ?? [];
  for (const glob of publicPaths) {
    if (!isPathGlob(glob))
      throw new CaptunUsageError(`--public-path ${glob}: give a path glob starting with "/", e.g. --public-path '/api/webhooks/**'.`);
  }
  if (values.passcode !== undefined) {
    if (!values.passcode) throw new CaptunUsageError("--passcode needs a value, e.g. --passcode 'correct horse'.");
    return { mode: "passcode", passcode: values.passcode, publicPaths };
  }
  if (values.private) return { mode: "private", publicPaths };
  if (publicPaths.length) throw new CaptunUsageError("--public-path only means something with --private or --passcode.");
  return { mode: "public" };
}
