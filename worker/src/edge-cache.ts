import { type AcceptedTunnel, GENERATION_HEADER, HOP_ACCEPT_HEADER, HOP_CODING } from "captun/internal";
import { etagMatches, type Keeping, keeping, requestMayUseCache, varyNames } from "./cache-policy.ts";
import type { Env } from "./env.ts";
import { forVisitor } from "./hop-decoding.ts";

/** Response header on answers the edge cache gave: `hit` (the origin was not asked) or `revalidated` (it answered 304). */
export const CACHE_HEADER = "x-captun-cache";

/** One request's dealings with the cache: an answer without asking the client, or what to do with the client's. */
export interface CacheExchange {
  /** The answer, when the cache has a fresh one: nothing goes down the tunnel. */
  readonly hit: Response | undefined;
  /** Turns the client's response into the visitor's: a 304 to our validator into the kept body, hop compression decoded or handed on. */
  settle(response: Response): Promise<Response>;
}

interface Entry {
  name: string;
  /** Values of the request headers the response varies on, in `vary` order. */
  vary: [string, string | null][];
  /** The Cookie it was fetched with. */
  owner: string | null;
  /** Fresh for a time (the origin said so): any admitted visitor may have it. Otherwise only its owner, or anyone while the client vouches for it (`generation`). */
  shared: boolean;
  status: number;
  headers: [string, string][];
  body: Uint8Array;
  size: number;
  storedAt: number;
  freshUntil: number;
  etag: string | null;
  /**
   * The tunnel's change generation this entry was validated under, when the client vouched for it
   * (a dev server's module): it is current, without asking, while the tunnel is still at it.
   */
  generation: number | undefined;
}

/**
 * The shard's edge cache: responses the origin marked cacheable (cache-policy.ts), in memory,
 * least recently used first out past a byte budget per shard. Entries belong to one tunnel
 * session: a new client under the name (a restarted dev server) or the session's end drops them,
 * and a visitor reaches the cache only after the access gate admitted them (shard.ts).
 */
export class EdgeCache {
  readonly #entries = new Map<string, Entry>();
  /** The session whose entries are held, per name. */
  readonly #sessions = new Map<string, AcceptedTunnel>();
  readonly #budget: number;
  readonly #maxEntry: number;
  #bytes = 0;
  /** Bytes of bodies being read in to be kept. */
  #filling = 0;

  constructor(env: Env) {
    this.#budget = byteSetting(env.EDGE_CACHE_BYTES, 32 * 1024 * 1024);
    this.#maxEntry = Math.min(this.#budget, byteSetting(env.EDGE_CACHE_ENTRY_BYTES, 4 * 1024 * 1024));
  }

  /**
   * Starts one request's exchange. `headers` are those going down the tunnel: this offers hop
   * compression on them and, when a kept response can be revalidated, asks `If-None-Match` for it.
   */
  begin(name: string, tunnel: AcceptedTunnel, request: Request, headers: Headers, url: string): CacheExchange {
    headers.set(HOP_ACCEPT_HEADER, HOP_CODING);
    this.#follow(name, tunnel);
    const acceptEncoding = request.headers.get("accept-encoding");
    const pass = { hit: undefined, settle: async (response: Response) => forVisitor(unmarked(response).response, acceptEncoding) };
    if (this.#budget === 0 || !requestMayUseCache(request.method, headers)) return pass;
    const key = `${name} ${url}`;
    const visitorTag = headers.get("if-none-match");
    // Read before the request goes down: a change announced while it is answered must not bless the answer.
    const generation = tunnel.generation;
    const entry = this.#usable(key, headers, generation);
    const current = entry && generation !== undefined && entry.generation === generation;
    if (entry && (entry.freshUntil > Date.now() || current))
      return { hit: this.#answer(entry, "hit", visitorTag, acceptEncoding), settle: pass.settle };
    if (entry?.etag) {
      headers.set("if-none-match", entry.etag);
      headers.delete("if-modified-since");
    }
    const cookie = headers.get("cookie");
    const vary = (names: string[]) => names.map((n): [string, string | null] => [n, headers.get(n)]);
    return {
      hit: undefined,
      settle: async (answer) => {
        const { response, vouched } = unmarked(answer);
        // Vouched for under the generation this request was sent under, which is still the tunnel's.
        const validatedUnder = vouched !== undefined && vouched === generation && tunnel.generation === generation ? generation : undefined;
        if (entry?.etag && response.status === 304) {
          entry.generation = validatedUnder;
          this.#touch(key, entry);
          return this.#answer(entry, "revalidated", visitorTag, acceptEncoding);
        }
        const keep = keeping(response, this.#maxEntry);
        const length = Number(response.headers.get("content-length"));
        // Bodies being read in for keeping are bounded too: many at once would stream instead.
        if (!keep || this.#sessions.get(name) !== tunnel || this.#filling + length > this.#budget) {
          if (entry) this.#delete(key);
          return forVisitor(response, acceptEncoding);
        }
        this.#filling += length;
        let body: Uint8Array;
        try {
          body = new Uint8Array(await response.arrayBuffer());
        } finally {
          this.#filling -= length;
        }
        const kept = this.#store(key, name, keep, response, body, vary(varyNames(response.headers) ?? []), cookie);
        kept.generation = validatedUnder;
        // A session that ended while the body came in must not leave an entry behind.
        if (this.#sessions.get(name) !== tunnel) this.#delete(key);
        return this.#answer(kept, undefined, null, acceptEncoding);
      },
    };
  }

  /**
   * The kept entry for `key` if this request may use it: same varied headers, and a revalidated
   * entry only for the visitor it was fetched for (an origin's ETag may ignore who asked), unless
   * the client vouches for it under the tunnel's current generation (a dev server's module, the
   * same for everyone: other visitors of a shared dev server get it too).
   */
  #usable(key: string, headers: Headers, generation: number | undefined): Entry | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.vary.some(([name, value]) => headers.get(name) !== value)) return undefined;
    const vouched = generation !== undefined && entry.generation === generation;
    if (!entry.shared && !vouched && entry.owner !== headers.get("cookie")) return undefined;
    this.#touch(key, entry);
    return entry;
  }

  #answer(entry: Entry, state: "hit" | "revalidated" | undefined, visitorTag: string | null, acceptEncoding: string | null): Response {
    const headers = new Headers(entry.headers);
    if (state) headers.set(CACHE_HEADER, state);
    // RFC 9111 §5.1: the origin's own Age plus the time the response has been kept here.
    if (state === "hit") headers.set("age", String((Number(headers.get("age")) || 0) + Math.floor((Date.now() - entry.storedAt) / 1000)));
    const notModified = etagMatches(visitorTag, entry.etag);
    const init = { status: notModified ? 304 : entry.status, headers, encodeBody: "manual" as const };
    return forVisitor(new Response(notModified ? null : entry.body, init), acceptEncoding);
  }

  #store(
    key: string,
    name: string,
    keep: Keeping,
    response: Response,
    body: Uint8Array,
    vary: [string, string | null][],
    cookie: string | null,
  ): Entry {
    const headers = [...response.headers].filter(([header]) => header !== "content-length");
    const size = body.byteLength + key.length + headers.reduce((sum, [n, v]) => sum + n.length + v.length, 0);
    const now = Date.now();
    const entry: Entry = {
      name,
      vary,
      // A revalidated response may still be someone's own (an origin whose ETag ignores the user).
      owner: cookie,
      shared: keep.freshMs > 0,
      status: response.status,
      headers,
      body,
      size,
      storedAt: now,
      freshUntil: now + keep.freshMs,
      etag: response.headers.get("etag"),
      generation: undefined,
    };
    this.#delete(key);
    if (size > this.#maxEntry) return entry;
    this.#entries.set(key, entry);
    this.#bytes += size;
    for (const [oldest, old] of this.#entries) {
      if (this.#bytes <= this.#budget) break;
      this.#delete(oldest, old);
    }
    return entry;
  }

  #touch(key: string, entry: Entry): void {
    if (this.#entries.get(key) !== entry) return;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
  }

  #delete(key: string, entry = this.#entries.get(key)): void {
    if (!entry || this.#entries.get(key) !== entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.size;
  }

  /** Makes `tunnel` the session whose entries are kept for `name`, dropping any other's. */
  #follow(name: string, tunnel: AcceptedTunnel): void {
    if (this.#sessions.get(name) === tunnel) return;
    this.#drop(name);
    this.#sessions.set(name, tunnel);
    void tunnel.closed.then(() => {
      if (this.#sessions.get(name) !== tunnel) return;
      this.#drop(name);
      this.#sessions.delete(name);
    });
  }

  #drop(name: string): void {
    for (const [key, entry] of this.#entries) if (entry.name === name) this.#delete(key, entry);
  }
}

/** The response without the client's generation mark, and the generation it carried. */
function unmarked(response: Response): { response: Response; vouched: number | undefined } {
  const mark = response.headers.get(GENERATION_HEADER);
  if (mark === null) return { response, vouched: undefined };
  // The tunnel's answers are built by fromWireResponse: their headers are the shard's to change.
  response.headers.delete(GENERATION_HEADER);
  return { response, vouched: /^\d{1,15}$/.test(mark) ? Number(mark) : undefined };
}

/** A byte count setting where "0" turns the cache off. */
function byteSetting(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && value !== "" && Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : fallback;
}
