import { HEARTBEAT_INTERVAL_MS } from "./protocol.ts";

export interface HeartbeatOptions {
  /** @default HEARTBEAT_INTERVAL_MS */
  intervalMs?: number;
  /** When the last message from the peer arrived (ms since the epoch). */
  lastHeard: () => number;
  /** Asks the peer for an answer; any answer (even an error) is a message, so it proves the peer alive. */
  ping: () => PromiseLike<unknown>;
  /** Called once when the peer stayed silent for two intervals (a ping went out after the first). */
  onSilent: () => void;
}

/**
 * Watches a session for silence, application-level: a proxy or a kernel that still answers TCP for
 * a frozen peer cannot answer for it. Pings go out only after an interval with no message at all,
 * so a busy session costs nothing; one timer per session, nothing else, so a Durable Object is not
 * kept any busier than its socket keeps it.
 */
export function startHeartbeat(options: HeartbeatOptions): () => void {
  const interval = options.intervalMs ?? HEARTBEAT_INTERVAL_MS;
  let lastTick = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const late = now - lastTick > interval;
    lastTick = now;
    const silentFor = now - options.lastHeard();
    if (late) {
      // This process did not run for a while (a debugger breakpoint, a long synchronous task,
      // sleep): what the peer sent meanwhile waits unread behind this timer, so silence cannot be
      // judged until I/O has had its turn. Ask now, so the next tick has an answer to go by (and a
      // connection that died meanwhile fails at once instead of at that tick).
      if (silentFor >= interval) ping(options);
      return;
    }
    if (silentFor >= 2 * interval) {
      stop();
      options.onSilent();
    } else if (silentFor >= interval) {
      ping(options);
    }
    // Checking twice per interval bounds detection at 2.5 intervals of silence instead of 3.
  }, interval / 2);
  (timer as { unref?: () => void }).unref?.();
  const stop = () => clearInterval(timer);
  return stop;
}

/** The answer (or the old peer's "no such method" error) counts through `lastHeard`. */
function ping(options: HeartbeatOptions): void {
  Promise.resolve(options.ping()).then(ignore, ignore);
}

function ignore(): void {}
