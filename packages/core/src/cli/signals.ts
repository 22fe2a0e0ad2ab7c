import { constants } from "node:os";
import { log } from "./log.ts";

/**
 * Calls `onFirst` on the first SIGINT/SIGTERM; a second signal exits at once (128 + signal number,
 * as shells report it). Returns a function that removes the handlers.
 */
export function onShutdownSignal(onFirst: (signal: NodeJS.Signals) => void): () => void {
  let received = false;
  const handler = (signal: NodeJS.Signals) => {
    if (received) {
      log.warn(`${signal} again: exiting now.`);
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    received = true;
    onFirst(signal);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
