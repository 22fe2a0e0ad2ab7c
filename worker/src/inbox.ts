// The webhook inbox (docs/inspector.md, "Inbox"): requests to a tunnel's inbox paths that arrive
// while no client is connected are kept in the shard's durable storage and answered 202; when a
// client for that name connects, they are delivered to it in arrival order, each removed only
// after the client's origin answered. Uses the KV storage API, which works on both the legacy
// and the SQLite storage backend (a deployed Durable Object class cannot switch backends).
import {
  type AcceptedTunnel,
  decodeInboxPatterns,
  ERROR_HEADER,
  errorResponse,
  INBOX_ARRIVED_HEADER,
  INBOX_ID_HEADER,
  INBOX_STATUS_HEADER,
  matchesInboxPath,
} from "captun/internal";
import { readAtMost } from "./bounded-body.ts";
import { type Env, numberSetting } from "./env.ts";
import { tooLarge, withTimeout } from "./inbox-request.ts";

/** Values are stored in pieces below the legacy backend's 128 KiB per value. */
const PIECE_BYTES = 64 * 1024;
/** captun's own answers that mean the origin never saw the request: keep it and try again. */
const NOT_DELIVERED = new Set(["origin-error", "origin-timeout", "tunnel-offline"]);
/** Tries per delivery while the client stays connected (0.5 s doubling: about 30 s in all); then the next connect. */
const MAX_RETRIES = 6;

interface StoredRequest {
  id: string;
  method: string;
  /** Public origin + path the visitor asked for, as the client would have seen it. */
  url: string;
  headers: [string, string][];
  arrivedAt: number;
  size: number;
  pieces: number;
}

interface Totals {
  count: number;
  bytes: number;
}

interface Limits {
  maxRequests: number;
  maxBytes: number;
  maxRequestBytes: number;
  ttlMs: number;
  headersTimeoutMs: number;
}

const keys = {
  paths: (name: string) => `inbox-paths:${name}`,
  totals: (name: string) => `inbox-totals:${name}`,
  seq: (name: string) => `inbox-seq:${name}`,
  entries: (name: string) => `inbox-entry:${name}:`,
  entry: (name: string, seq: number) => `inbox-entry:${name}:${String(seq).padStart(15, "0")}`,
  piece: (entryKey: string, i: number) => `${entryKey.replace("inbox-entry:", "inbox-piece:")}:${i}`,
};

/** One shard's inboxes, one per tunnel name. */
export class TunnelInbox {
  readonly #storage: DurableObjectStorage;
  readonly #limits: Limits;
  readonly #current: (name: string) => AcceptedTunnel | undefined;
  readonly #patterns = new Map<string, string[]>();
  readonly #delivering = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  /** Ends a delivery's wait before its next try (a new client connected). */
  readonly #wake = new Map<string, () => void>();

  constructor(storage: DurableObjectStorage, env: Env, current: (name: string) => AcceptedTunnel | undefined) {
    this.#storage = storage;
    this.#current = current;
    this.#limits = {
      maxRequests: numberSetting(env.INBOX_MAX_REQUESTS, 1000),
      maxBytes: numberSetting(env.INBOX_MAX_BYTES, 64 * 1024 * 1024),
      maxRequestBytes: numberSetting(env.INBOX_MAX_REQUEST_BYTES, 1024 * 1024),
      ttlMs: numberSetting(env.INBOX_TTL_SECONDS, 7 * 24 * 3600) * 1000,
      headersTimeoutMs: numberSetting(env.HEADERS_TIMEOUT_MS, 100_000),
    };
  }

  /** A client connected for `name`: remember the paths it named, then deliver what waited. Never rejects. */
  async connected(name: string, header: string | null): Promise<void> {
    const patterns = decodeInboxPatterns(header);
    this.#patterns.set(name, patterns);
    // Before any await: a request arriving right now must queue behind what waits, not overtake it.
    this.#kick(name);
    try {
      if (patterns.length > 0) await this.#storage.put(keys.paths(name), patterns);
      else await this.#storage.delete(keys.paths(name));
    } catch {
      // Kept in memory for now; a later connect writes them again.
    }
  }

  /**
   * Stores `request` and answers 202 when it is for an inbox path and cannot go straight through:
   * no client is connected, or earlier stored requests are still being delivered (order holds).
   * Undefined when the request should be forwarded as usual.
   */
  async intercept(request: Request, name: string, pathAndQuery: string, headers: Headers): Promise<Response | undefined> {
    // A connected client with nothing left to deliver takes requests directly: no storage touched.
    if (request.headers.get("upgrade") || (this.#current(name) && !this.#delivering.has(name))) return undefined;
    const pathname = pathAndQuery.split("?")[0]!;
    if (!matchesInboxPath(await this.#pathsFor(name), pathname)) return undefined;
    const response = await this.#store(request, name, pathAndQuery, headers);
    if (response.status === 202) this.#kick(name);
    return response;
  }

  async #pathsFor(name: string): Promise<string[]> {
    let patterns = this.#patterns.get(name);
    if (!patterns) {
      patterns = (await this.#storage.get<string[]>(keys.paths(name))) ?? [];
      this.#patterns.set(name, patterns);
    }
    return patterns;
  }

  /** `headers` are what the origin would be sent: identity set by the shard, access credentials removed. */
  async #store(request: Request, name: string, pathAndQuery: string, headers: Headers): Promise<Response> {
    const { maxRequests, maxBytes, maxRequestBytes } = this.#limits;
    const body = await readAtMost(request.body, maxRequestBytes);
    if (!body) return tooLarge(request, maxRequestBytes);
    // From here on only storage is awaited: the Durable Object's input gate keeps other requests
    // out, so the totals cannot be raced.
    await this.#expire(name);
    const totals = (await this.#storage.get<Totals>(keys.totals(name))) ?? { count: 0, bytes: 0 };
    if (totals.count + 1 > maxRequests || totals.bytes + body.byteLength > maxBytes) {
      return errorResponse(request, 503, "inbox-full", "This tunnel's inbox is full; its client has to connect and take what waits.", {
        "retry-after": "60",
      });
    }
    const seq = ((await this.#storage.get<number>(keys.seq(name))) ?? 0) + 1;
    const entryKey = keys.entry(name, seq);
    const stored: StoredRequest = {
      id: crypto.randomUUID(),
      method: request.method,
      url: new URL(request.url).origin + pathAndQuery,
      headers: [...headers],
      arrivedAt: Date.now(),
      size: body.byteLength,
      pieces: Math.ceil(body.byteLength / PIECE_BYTES),
    };
    const writes: Record<string, unknown> = {
      [keys.seq(name)]: seq,
      [keys.totals(name)]: { count: totals.count + 1, bytes: totals.bytes + body.byteLength },
      [entryKey]: stored,
    };
    for (let i = 0; i < stored.pieces; i++) writes[keys.piece(entryKey, i)] = body.slice(i * PIECE_BYTES, (i + 1) * PIECE_BYTES);
    await this.#storage.put(writes);
    return new Response(`${JSON.stringify({ queued: true, id: stored.id })}\n`, {
      status: 202,
      headers: {
        "content-type": "application/json",
        "cache-control": "no-store",
        [INBOX_STATUS_HEADER]: "queued",
        [INBOX_ID_HEADER]: stored.id,
      },
    });
  }

  /** Starts delivering `name`'s stored requests if a client is there; one delivery per name at a time. */
  #kick(name: string): void {
    if (this.#delivering.has(name)) {
      this.#again.add(name);
      this.#wake.get(name)?.();
      return;
    }
    const run = async () => {
      do {
        this.#again.delete(name);
        await this.#deliver(name);
      } while (this.#again.has(name) && this.#current(name));
    };
    this.#delivering.set(
      name,
      run()
        .catch(() => {
          // Storage failed: what was not removed is delivered on the next connect.
        })
        .finally(() => this.#delivering.delete(name)),
    );
  }

  async #deliver(name: string): Promise<void> {
    for (let failures = 0; ; ) {
      const tunnel = this.#current(name);
      if (!tunnel) return;
      await this.#expire(name);
      const [entry] = await this.#storage.list<StoredRequest>({ prefix: keys.entries(name), limit: 1 });
      if (!entry) return;
      const [entryKey, stored] = entry;
      let delivered = false;
      try {
        const response = await withTimeout(tunnel.fetch(await this.#rebuild(entryKey, stored)), this.#limits.headersTimeoutMs);
        // "Answered" means the whole answer reached us: a client killed mid-body delivers again.
        await response.arrayBuffer();
        delivered = !NOT_DELIVERED.has(response.headers.get(ERROR_HEADER) ?? "");
      } catch {
        // The client went away (the request stays for its next connect), or its origin failed.
      }
      if (!delivered) {
        if (this.#current(name) !== tunnel || failures >= MAX_RETRIES) return;
        // The client is there but its origin is not (yet): try again shortly, keeping the order.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 500 * 2 ** failures++);
          this.#wake.set(name, () => {
            clearTimeout(timer);
            resolve();
          });
        });
        this.#wake.delete(name);
        continue;
      }
      failures = 0;
      await this.#remove(name, entryKey, stored);
    }
  }

  async #rebuild(entryKey: string, stored: StoredRequest): Promise<Request> {
    const pieceKeys = Array.from({ length: stored.pieces }, (_, i) => keys.piece(entryKey, i));
    const pieces = pieceKeys.length > 0 ? await this.#storage.get<Uint8Array>(pieceKeys) : new Map<string, Uint8Array>();
    const body = new Uint8Array(stored.size);
    let offset = 0;
    for (const key of pieceKeys) {
      const piece = pieces.get(key) ?? new Uint8Array();
      body.set(piece, offset);
      offset += piece.byteLength;
    }
    const headers = new Headers(stored.headers);
    headers.set(INBOX_ID_HEADER, stored.id);
    headers.set(INBOX_ARRIVED_HEADER, new Date(stored.arrivedAt).toISOString());
    const hasBody = stored.method !== "GET" && stored.method !== "HEAD";
    return new Request(stored.url, { method: stored.method, headers, body: hasBody ? body : null, redirect: "manual" });
  }

  async #remove(name: string, entryKey: string, stored: StoredRequest): Promise<void> {
    const totals = (await this.#storage.get<Totals>(keys.totals(name))) ?? { count: 1, bytes: stored.size };
    const pieceKeys = Array.from({ length: stored.pieces }, (_, i) => keys.piece(entryKey, i));
    await this.#storage.delete([entryKey, ...pieceKeys]);
    await this.#storage.put(keys.totals(name), {
      count: Math.max(0, totals.count - 1),
      bytes: Math.max(0, totals.bytes - stored.size),
    });
  }

  /** Drops requests older than the TTL (the oldest come first, so it stops at the first young one). */
  async #expire(name: string): Promise<void> {
    const cutoff = Date.now() - this.#limits.ttlMs;
    for (;;) {
      const batch = await this.#storage.list<StoredRequest>({ prefix: keys.entries(name), limit: 32 });
      let removed = 0;
      for (const [key, stored] of batch) {
        if (stored.arrivedAt >= cutoff) return;
        await this.#remove(name, key, stored);
        removed++;
      }
      if (removed < 32) return;
    }
  }
}
