import { errorResponse } from "captun/internal";

/**
 * At most `max` requests per tunnel waiting for their response headers (upgrades until their
 * `101`); the rest are answered 429 at once, before anything reaches the client. A dev page's
 * burst (a few hundred modules) fits the default of 256; a flood does not reach the laptop.
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
