import { randomBytes } from "node:crypto";
import { canonicalizeTunnelName } from "../routing.ts";
import { CaptunUsageError } from "./args.ts";

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** A fresh tunnel name: 16 base32 characters, 80 random bits, so names cannot be guessed. */
export function generateTunnelName(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let buffer = 0;
  let name = "";
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      name += BASE32[(buffer >> bits) & 31];
    }
  }
  return name;
}

/** Validates a `--name`, explaining the rule when it is broken. */
export function tunnelNameFromFlag(value: string): string {
  const name = canonicalizeTunnelName(value);
  if (!name) {
    throw new CaptunUsageError(
      `--name "${value}" is not a valid tunnel name: use 1–63 letters, digits and inner hyphens (a DNS label), e.g. --name my-app.`,
    );
  }
  return name;
}
