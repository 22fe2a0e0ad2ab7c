import type { AcceptedTunnel } from "captun/internal";

/** How a client stopped serving its name, which decides whether visitors wait for it to come back. */
export type Departure = "left" | "silent";

/**
 * The live tunnel for each name on this shard, and for a short while the names whose client left.
 *
 * A client that closed (a restart, a dev server reconnecting after Wi-Fi changed) usually comes
 * back within seconds, so idempotent requests for its name wait up to `holdMs` for the successor
 * instead of failing. A client dropped for silence has been gone for many seconds already and is
 * not waited for; nor is a name never seen here.
 */
export class TunnelRegistry {
  readonly #holdMs: number;
  readonly #live = new Map<string, AcceptedTunnel>();
  /** Name → when its client left (only recent departures are kept). */
  readonly #left = new Map<string, number>();
  readonly #waiters = new Map<string, Set<(tunnel: AcceptedTunnel) => void>>();

  constructor(holdMs: number) {
    this.#holdMs = holdMs;
  }

  get(name: string): AcceptedTunnel | undefined {
    return this.#live.get(name);
  }

  /** Makes `tunnel` the one serving `name`; returns the one it takes over from, if any. */
  add(name: string, tunnel: AcceptedTunnel): AcceptedTunnel | undefined {
    const previous = this.#live.get(name);
    this.#live.set(name, tunnel);
    this.#left.delete(name);
    const waiters = this.#waiters.get(name);
    this.#waiters.delete(name);
    for (const wake of waiters ?? []) wake(tunnel);
    return previous;
  }

  /** Forgets `tunnel` for `name`, if it is still the one serving it (a replaced one leaves late). */
  remove(name: string, tunnel: AcceptedTunnel, how: Departure): void {
    if (this.#live.get(name) !== tunnel) return;
    this.#live.delete(name);
    this.#prune();
    if (how === "left" && this.#holdMs > 0) this.#left.set(name, Date.now());
  }

  /**
   * The tunnel for `name`, waiting for one to connect if its client left less than `holdMs` ago;
   * `undefined` at once for names not recently live, or when the wait ends (deadline, visitor gone).
   */
  async waitFor(name: string, signal: AbortSignal): Promise<AcceptedTunnel | undefined> {
    const live = this.#live.get(name);
    if (live) return live;
    const leftAt = this.#left.get(name);
    const remaining = leftAt === undefined ? 0 : leftAt + this.#holdMs - Date.now();
    if (remaining <= 0 || signal.aborted) return undefined;
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(name) ?? new Set();
      this.#waiters.set(name, waiters);
      const finish = (tunnel: AcceptedTunnel | undefined) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        waiters.delete(wake);
        resolve(tunnel);
      };
      const wake = (tunnel: AcceptedTunnel) => finish(tunnel);
      const onAbort = () => finish(undefined);
      const timer = setTimeout(() => finish(undefined), remaining);
      waiters.add(wake);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #prune(): void {
    const cutoff = Date.now() - this.#holdMs;
    for (const [name, leftAt] of this.#left) if (leftAt < cutoff) this.#left.delete(name);
  }
}
