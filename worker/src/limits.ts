import { errorResponse } from "captun/internal";

/**
 * The default of `MAX_REQUESTS_IN_FLIGHT`. A browser loads an unbundled dev page over HTTP/2 (as
 * from Cloudflare's edge) with all its module requests in flight at once: 330 for the benchmark's
 * 300-module React app, more for larger apps. 256 answered part of that one page 429; 2,048 lets
 * several visitors load large pages together, and a flood still stops here. Each waiting request
 * costs the shard a pending call, not its body (bodies are flow-controlled).
 */
export const DEFAULT_MAX_REQUESTS_IN_FLIGHT = 2048;

/**
 * At most `max` requests per tunnel waiting for their response headers (upgrades until their
 * `101`); the rest are answered 429 at once, before anything reaches the client.
 */
export class InFlightLimit {
  readonly #max: number;
  readonly #counts = new Map<string, number>();

  constructor(max: number) {
    this.#max = Math.max(1, Math.floor(max));
  }

  async run(name: string, request: Request, forward: () => Promise<Response>): Promise<Response> {
    const count = this.#counts.get(name) ?? 0;
    if (count >= this.#max) {
      return errorResponse(
        request,
        429,
        "too-many-requests",
        `This tunnel already has ${this.#max} requests in flight; try again shortly.`,
        {
          "retry-after": "1",
        },
      );
    }
    this.#counts.set(name, count + 1);
    try {
      return await forward();
    } finally {
      const left = (this.#counts.get(name) ?? 1) - 1;
      if (left > 0) this.#counts.set(name, left);
      else this.#counts.delete(name);
    }
  }
}
