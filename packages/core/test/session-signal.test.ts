// The session's end-of-session signal outlives every request it serves. Each request and streamed
// answer must be tied to it without a listener on it: Node keeps a Request's listener until the
// request is garbage-collected and checks all of them on every add, so per-request listeners made
// each request slower than the one before (seconds per 20,000 requests).
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { fromWireRequest, toWireResponse } from "../src/http.ts";

const wire = (i: number) => ({ method: "GET", url: `http://origin.test/m${i}.js`, headers: [] as [string, string][], body: null });

describe("requests and answers tied to the session's end", () => {
  it("2,000 requests add no listener to the session signal, and ending the session aborts them all", () => {
    const session = new AbortController();
    const requests = Array.from({ length: 2_000 }, (_, i) => fromWireRequest(wire(i), session.signal));
    expect(getEventListeners(session.signal, "abort")).toHaveLength(0);
    expect(requests.some((request) => request.signal.aborted)).toBe(false);
    session.abort(new Error("session ended"));
    expect(requests.every((request) => request.signal.aborted)).toBe(true);
  });

  it("streamed answers in flight add no listener to the session signal, and ending the session errors them", async () => {
    const session = new AbortController();
    const cancelled: unknown[] = [];
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => {
        // A body without a length that never ends by itself: it streams.
        const body = new ReadableStream<Uint8Array>({ cancel: (reason) => void cancelled.push(reason) });
        return toWireResponse(new Response(body), "GET", session.signal);
      }),
    );
    expect(getEventListeners(session.signal, "abort")).toHaveLength(0);
    session.abort(new Error("session ended"));
    for (const answer of answers) {
      const reader = (answer.body as ReadableStream<Uint8Array>).getReader();
      await expect(reader.read()).rejects.toThrow("session ended");
    }
    expect(cancelled).toHaveLength(200);
  });
});
