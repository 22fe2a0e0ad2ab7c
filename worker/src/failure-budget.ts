/** Keys tracked at most; past it the fullest (oldest) entries are forgotten first. */
const MAX_KEYS = 10_000;

interface Bucket {
  /** Failures still allowed at `at`. */
  left: number;
  at: number;
}

/**
 * A token bucket per key: `limit` failures at once, one more coming back every `windowMs / limit`.
 * Only failures spend; a key whose bucket is full again is forgotten, so memory follows the
 * keys failing right now and is capped at {@link MAX_KEYS}.
 */
export class FailureBudget {
  readonly #limit: number;
  readonly #refillMs: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(limit: number, windowMs: number) {
    this.#limit = Math.max(1, Math.floor(limit));
    this.#refillMs = windowMs / this.#limit;
  }

  /** Milliseconds until `key` may fail again; 0 when it may now. */
  waitMs(key: string, now: number): number {
    const bucket = this.#refilled(key, now);
    return bucket && bucket.left < 1 ? Math.ceil(this.#refillMs - (now - bucket.at)) : 0;
  }

  spend(key: string, now: number): void {
    const bucket = this.#refilled(key, now) ?? { left: this.#limit, at: now };
    bucket.left -= 1;
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > MAX_KEYS) this.#buckets.delete(this.#buckets.keys().next().value!);
  }

  /** Gives back a failure spent ahead of a check that then succeeded. */
  refund(key: string, now: number): void {
    const bucket = this.#refilled(key, now);
    if (!bucket) return;
    bucket.left += 1;
    if (bucket.left >= this.#limit) this.#buckets.delete(key);
  }

  #refilled(key: string, now: number): Bucket | undefined {
    const bucket = this.#buckets.get(key);
    if (!bucket) return undefined;
    const earned = Math.floor((now - bucket.at) / this.#refillMs);
    if (earned > 0) {
      bucket.left = Math.min(this.#limit, bucket.left + earned);
      bucket.at += earned * this.#refillMs;
    }
    if (bucket.left >= this.#limit) {
      this.#buckets.delete(key);
      return undefined;
    }
    return bucket;
  }
}

/**
 * What counts as one visitor: an IPv4 address, or an IPv6 /64 (one host usually holds a whole
 * /64, so per-address counting would give it 2^64 budgets).
 */
export function visitorKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(":")) return address;
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = address.includes("::") ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
