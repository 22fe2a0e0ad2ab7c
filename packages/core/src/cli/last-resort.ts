import { log } from "./log.ts";

/** Distinct errors remembered, so one that repeats on every request prints once. */
const MAX_REMEMBERED = 100;

/**
 * The last resort of a long-running command: an error nothing else caught (a library throwing
 * from a socket event, a promise nobody awaited) is logged once and the process keeps serving.
 * Exiting would take the public URL offline for every visitor because of one bad request.
 * Returns a function that removes the handlers.
 */
export function keepServingThroughUnexpectedErrors(): () => void {
  const seen = new Set<string>();
  const report = (error: unknown) => {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (seen.has(text)) return;
    if (seen.size < MAX_REMEMBERED) seen.add(text);
    const where = error instanceof Error ? error.stack?.split("\n")[1]?.trim() : undefined;
    log.error(`Unexpected error, still serving (please report it to captun): ${text}${where ? `\n  ${where}` : ""}`);
  };
  process.on("uncaughtException", report);
  process.on("unhandledRejection", report);
  return () => {
    process.off("uncaughtException", report);
    process.off("unhandledRejection", report);
  };
}
