import { bearerSecretMatches, errorResponse, PROTOCOL_HEADER, PROTOCOL_VERSION } from "captun/internal";
import { type Env, numberSetting } from "./env.ts";
import { FailureBudget, visitorKey } from "./failure-budget.ts";

/** How long an address that presented the right secret for a name skips that name's failure budget. */
const TRUSTED_FOR_MS = 24 * 60 * 60 * 1000;
const MAX_TRUSTED = 10_000;

/**
 * The connect door, in the shard the tunnel name hashes to, so that counting wrong secrets and
 * checking them happen in one place. In order:
 *
 * 1. a browser `Origin` (even `null`) → 403: web pages may not open or replace tunnels;
 * 2. no `CONNECT_SECRET` → 503, saying how to set one;
 * 3. another protocol version → 426, saying which side to update;
 * 4. the address or the name spent its failure budget → 429 + `Retry-After`, without looking at
 *    the secret (so guesses made while throttled teach nothing);
 * 5. a missing or wrong secret → 401 (one body, one code path; spends both budgets).
 *
 * Budgets refill over `CONNECT_FAILURE_WINDOW_MS`, so the right secret gets in again within
 * `window / CONNECT_FAILURES_PER_ADDRESS` (12 s by default) of the last wrong one. An address that
 * presented the right secret for a name recently is not held back by that name's budget: strangers
 * guessing at a name cannot lock its own client out of reconnecting.
 */
export class ConnectGuard {
  readonly #addresses: FailureBudget;
  readonly #names: FailureBudget;
  /** `name address` → until when that address skips the name's budget. */
  readonly #trusted = new Map<string, number>();
  readonly #secret: string | undefined;

  constructor(env: Env) {
    const windowMs = numberSetting(env.CONNECT_FAILURE_WINDOW_MS, 60_000);
    this.#addresses = new FailureBudget(numberSetting(env.CONNECT_FAILURES_PER_ADDRESS, 5), windowMs);
    this.#names = new FailureBudget(numberSetting(env.CONNECT_FAILURES_PER_NAME, 20), windowMs);
    this.#secret = env.CONNECT_SECRET || undefined;
  }

  /** The refusal for this connect, or `undefined` to let it in. */
  async admit(request: Request, name: string): Promise<Response | undefined> {
    if (request.headers.has("origin")) {
      return errorResponse(
        request,
        403,
        "cross-site-connect",
        "Tunnel clients connect without a browser Origin; web pages cannot open tunnels.",
      );
    }
    if (!this.#secret) {
      return errorResponse(
        request,
        503,
        "connect-secret-unset",
        "This captun server has no CONNECT_SECRET, so it refuses every tunnel. Set one with `npx wrangler secret put CONNECT_SECRET`, or redeploy with `npx captun deploy`.",
      );
    }
    const mismatch = protocolMismatch(request);
    if (mismatch) return errorResponse(request, 426, "protocol-mismatch", mismatch);

    const now = Date.now();
    const address = visitorKey(request.headers.get("cf-connecting-ip") ?? "unknown");
    const pair = `${name} ${address}`;
    const trusted = (this.#trusted.get(pair) ?? 0) > now;
    const waitMs = Math.max(this.#addresses.waitMs(address, now), trusted ? 0 : this.#names.waitMs(name, now));
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      return errorResponse(request, 429, "too-many-attempts", `Too many wrong connect secrets; try again in ${seconds} s.`, {
        "retry-after": String(seconds),
      });
    }
    // Spent before the check and given back on success: guesses sent in parallel all see the
    // budget their predecessors spent, instead of all passing while the first is still checked.
    this.#addresses.spend(address, now);
    if (!trusted) this.#names.spend(name, now);
    if (await bearerSecretMatches(request, this.#secret)) {
      this.#addresses.refund(address, now);
      if (!trusted) this.#names.refund(name, now);
      this.#trusted.delete(pair);
      this.#trusted.set(pair, now + TRUSTED_FOR_MS);
      if (this.#trusted.size > MAX_TRUSTED) this.#trusted.delete(this.#trusted.keys().next().value!);
      return undefined;
    }
    return errorResponse(request, 401, "unauthorized", "Wrong or missing connect secret.");
  }
}

function protocolMismatch(request: Request): string | undefined {
  const sent = request.headers.get(PROTOCOL_HEADER);
  const version = sent === null ? 1 : Number(sent);
  if (version === PROTOCOL_VERSION) return undefined;
  const versions = `This captun server speaks protocol ${PROTOCOL_VERSION}, the client ${sent ?? "1"}.`;
  return Number.isInteger(version) && version > PROTOCOL_VERSION
    ? `${versions} Update the server: run \`npx captun deploy\` again (or restart \`captun server\`) with the client's captun version.`
    : `${versions} Update the client: install the latest captun (and @captun/vite, @captun/astro or @captun/next).`;
}
