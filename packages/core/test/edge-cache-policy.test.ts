// The rules of the shard's edge cache (worker/src/cache-policy.ts) and the visitor's Accept-Encoding
// (worker/src/hop-decoding.ts), one case per line; edge-cache.test.ts runs them in a real shard.
import { describe, expect, it } from "vitest";
import { acceptsGzip } from "../../../worker/src/accept-encoding.ts";
import { etagMatches, keeping, requestMayUseCache } from "../../../worker/src/cache-policy.ts";

const LIMIT = 4096;
const response = (headers: Record<string, string>, status = 200) =>
  new Response([204, 304].includes(status) ? null : "x", { status, headers: { "content-length": "1", ...headers } });

describe("which responses the edge cache keeps", () => {
  it.each<[string, Record<string, string>, ReturnType<typeof keeping>]>([
    ["Vite's optimized deps", { "cache-control": "max-age=31536000,immutable" }, { freshMs: 31536000_000 }],
    ["public with max-age", { "cache-control": "public, max-age=60" }, { freshMs: 60_000 }],
    ["s-maxage wins over max-age", { "cache-control": "max-age=600, s-maxage=5" }, { freshMs: 5_000 }],
    ["the origin's Age counts", { "cache-control": "public, max-age=60", age: "50" }, { freshMs: 10_000 }],
    [
      "older than its lifetime, with an ETag: revalidated",
      { "cache-control": "public, max-age=60", age: "90", etag: '"a"' },
      { freshMs: 0, etag: '"a"' },
    ],
    ["max-age alone is not a promise to share: revalidated", { "cache-control": "max-age=60", etag: '"a"' }, { freshMs: 0, etag: '"a"' }],
    ["Vite's source modules (no-cache + ETag)", { "cache-control": "no-cache", etag: 'W/"m1"' }, { freshMs: 0, etag: 'W/"m1"' }],
    ["no-cache wins over immutable", { "cache-control": "no-cache, immutable, max-age=60", etag: '"a"' }, { freshMs: 0, etag: '"a"' }],
    ["no-cache without an ETag", { "cache-control": "no-cache" }, undefined],
    ["private", { "cache-control": "private, max-age=600" }, undefined],
    ['private="set-cookie"', { "cache-control": 'private="set-cookie", max-age=600' }, undefined],
    ["no-store", { "cache-control": "public, no-store, max-age=600" }, undefined],
    ["Set-Cookie", { "cache-control": "public, max-age=600", "set-cookie": "a=1" }, undefined],
    ["Vary: Cookie", { "cache-control": "public, max-age=600", vary: "Accept, cookie" }, undefined],
    ["Vary: *", { "cache-control": "public, max-age=600", vary: "*" }, undefined],
    ["encoded by the origin", { "cache-control": "public, max-age=600", "content-encoding": "br" }, undefined],
    ["larger than an entry may be", { "cache-control": "public, max-age=600", "content-length": "4097" }, undefined],
    ["no declared length", { "cache-control": "public, max-age=600", "content-length": "unknown" }, undefined],
    ["nothing said, no ETag", {}, undefined],
  ])("%s", (_what, headers, expected) => {
    expect(keeping(response(headers), LIMIT)).toEqual(expected);
  });

  it("keeps only status 200", () => {
    for (const status of [201, 203, 206, 301, 304, 404, 500]) {
      expect(keeping(response({ "cache-control": "public, max-age=60" }, status), LIMIT)).toBeUndefined();
    }
  });

  it("lets only GETs without credentials or ranges near it", () => {
    expect(requestMayUseCache("GET", new Headers({ cookie: "a=1", "if-none-match": '"a"' }))).toBe(true);
    expect(requestMayUseCache("HEAD", new Headers())).toBe(false);
    expect(requestMayUseCache("POST", new Headers())).toBe(false);
    for (const name of ["authorization", "range", "if-range", "if-match", "if-unmodified-since"]) {
      expect(requestMayUseCache("GET", new Headers({ [name]: "x" })), name).toBe(false);
    }
  });

  it("compares ETags weakly, as If-None-Match does", () => {
    expect(etagMatches('W/"a"', '"a"')).toBe(true);
    expect(etagMatches('"b", W/"a"', 'W/"a"')).toBe(true);
    expect(etagMatches("*", '"a"')).toBe(true);
    expect(etagMatches('"b"', '"a"')).toBe(false);
    expect(etagMatches(null, '"a"')).toBe(false);
  });
});

describe("the visitor's Accept-Encoding", () => {
  it.each<[string | null, boolean]>([
    ["gzip, deflate, br, zstd", true],
    ["br, gzip", true],
    ["gzip;q=0", false],
    ["deflate, gzip ; q=0.5", true],
    ["identity", false],
    ["*", true],
    ["*;q=0.5, gzip;q=0", false],
    ["", false],
    [null, false],
  ])("%s takes gzip: %s", (value, expected) => {
    expect(acceptsGzip(value)).toBe(expected);
  });
});
