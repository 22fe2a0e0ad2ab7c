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
