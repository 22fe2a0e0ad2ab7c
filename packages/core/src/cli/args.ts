import { readFileSync } from "node:fs";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { CaptunError } from "../errors.ts";

/** The user asked for something the CLI cannot do as written; the message says what to type instead. */
export class CaptunUsageError extends CaptunError {
  override name = "CaptunUsageError";
}

/** `parseArgs` with positionals and `--no-x` negation, turning its errors into usage errors. */
export function parseCommandArgs<const O extends ParseArgsOptionsConfig>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, allowNegative: true, strict: true });
  } catch (error) {
    if (String((error as NodeJS.ErrnoException).code).startsWith("ERR_PARSE_ARGS")) {
      throw new CaptunUsageError(`${(error as Error).message} Run \`captun --help\` for usage.`);
    }
    throw error;
  }
}

/** Parses a whole number in `[min, max]` given for `flag`. */
export function parseInteger(value: string, flag: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
    throw new CaptunUsageError(`${flag} must be a whole number from ${min} to ${max}, not "${value}".`);
  }
  return parsed;
}

/**
 * The connect secret kept in a file (`--secret-file`): the file's content without the trailing
 * newline. Keeps the secret out of shell history and `ps`, where `--secret <value>` ends up.
 */
export function readSecretFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new CaptunUsageError(
      `--secret-file: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
    );
  }
  const secret = text.replace(/\r?\n$/, "");
  if (!secret || /[\r\n]/.test(secret)) {
    throw new CaptunUsageError(`--secret-file: ${path} must hold the connect secret on one line.`);
  }
  return secret;
}

/** The secret from `--secret` or `--secret-file` (not both); `undefined` when neither is given. */
export function secretFromFlags(values: { secret?: string; "secret-file"?: string }): string | undefined {
  if (values.secret !== undefined && values["secret-file"] !== undefined) {
    throw new CaptunUsageError("Give the connect secret once: --secret or --secret-file, not both.");
  }
  return values["secret-file"] !== undefined ? readSecretFile(values["secret-file"]) : values.secret;
}
