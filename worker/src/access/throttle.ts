/**
 * Counts wrong passcodes so nobody can guess one at speed: per visitor address and per tunnel, in
 * fixed windows. In memory per shard, like the tunnels themselves. (The connect-secret throttle
 * elsewhere does the same job for connects; the two are meant to share one implementation.)
 */
export interface ThrottleLimits {
  /** Wrong attempts one address may make per window. */
  perAddress: number;
  /** Wrong attempts all addresses together may make on one tunnel per window. */
  perTunnel: number;
  windowMs: number;
}

export const PASSCODE_LIMITS: ThrottleLimits = { perAddress: 5, perTunnel: 50, windowMs: 60_000 };

interface Window {
  count: number;
  resetAt: number;
}

export class AttemptThrottle {
  readonly #limits: ThrottleLimits;
  readonly #windows = new Map<string, Window>();

  constructor(limits: ThrottleLimits = PASSCODE_LIMITS) {
    this.#limits = limits;
  }

  /** Seconds to wait before the next attempt, or 0 when one may be made now. */
  retryAfter(tunnel: string, address: string, now = Date.now()): number {
    const waits = [
      this.#wait(`a:${tunnel}:${address}`, this.#limits.perAddress, now),
      this.#wait(`t:${tunnel}`, this.#limits.perTunnel, now),
    ];
    return Math.max(...waits);
  }

  /** Records one wrong attempt. */
  failed(tunnel: string, address: string, now = Date.now()): void {
    this.#count(`a:${tunnel}:${address}`, now);
    this.#count(`t:${tunnel}`, now);
  }

  #wait(key: string, limit: number, now: number): number {
    const window = this.#windows.get(key);
    if (!window || window.resetAt <= now || window.count < limit) return 0;
    return Math.ceil((window.resetAt - now) / 1000);
  }

  #count(key: string, now: number): void {
    let window = this.#windows.get(key);
    if (!window || window.resetAt <= now) {
      if (this.#windows.size > 10_000) this.#sweep(now);
      window = { count: 0, resetAt: now + this.#limits.windowMs };
      this.#windows.set(key, window);
    }
    window.count++;
  }

  #sweep(now: number): void {
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key);
  }
}
