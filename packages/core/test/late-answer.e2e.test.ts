// An answer that arrives after captun gave up on it (504) must be cancelled at the client: its
// stream would otherwise hold a flow-control window and count as "sending" forever, shrinking the
// windows of every later stream (transport.ts flowControlUnit).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaptunTunnel } from "../src/index.ts";
import { ERROR_HEADER } from "../src/protocol.ts";
import { bodyStreamsSending } from "../src/rechunk.ts";
import { flowControlUnit } from "../src/transport.ts";
import { startTestServer, type TestServer, uniqueName, visit } from "./_harness.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ routing: "folder", vars: { HEADERS_TIMEOUT_MS: "40" } });
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

const REQUESTS = 1_000;
const CONCURRENCY = 25;

describe("late answers", () => {
  it("1,000 requests that time out leave no stream sending and flow-control windows at their initial size", async () => {
    const timedOut = new Map<number, () => void>();
    const timedOutPromise = (id: number) => new Promise<void>((resolve) => timedOut.set(id, resolve));
    const waiting = new Map<number, Promise<void>>();
    let cancelled = 0;
    let answered = 0;
    await using tunnel = await createCaptunTunnel({
      url: server.tunnelUrl(uniqueName()),
      secret: server.secret,
      fetch: async (request) => {
        const id = Number(new URL(request.url).pathname.slice(1));
        // Answer only once the visitor has had its 504: the answer is late by construction.
        await waiting.get(id);
        answered++;
        // Endless: only a cancel from the server ends it, and it is bigger than any window.
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            controller.enqueue(new Uint8Array(64 * 1024));
          },
          cancel() {
            cancelled++;
          },
        });
        return new Response(body);
      },
    });
    const initialUnit = flowControlUnit(0);
    let next = 0;
    const statuses: Record<string, number> = {};
    const worker = async () => {
      while (next < REQUESTS) {
        const id = next++;
        waiting.set(id, timedOutPromise(id));
        // A kept-alive socket the server closed as it was reused ("other side closed") is the
        // visitor's problem, not the tunnel's: such a request never arrived, so send it again.
        const response = await visit(`${tunnel.url}/${id}`).catch(() => visit(`${tunnel.url}/${id}`));
        const key = `${response.status} ${response.headers.get(ERROR_HEADER)}`;
        statuses[key] = (statuses[key] ?? 0) + 1;
        await response.text();
        timedOut.get(id)?.();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(statuses).toEqual({ "504 origin-timeout": REQUESTS });
    await expect.poll(() => answered, { timeout: 20_000 }).toBeGreaterThanOrEqual(REQUESTS);
    // Every late answer cancelled (a resent request may have reached the client twice).
    await expect.poll(() => cancelled, { timeout: 20_000 }).toBe(answered);
    await expect.poll(() => bodyStreamsSending(), { timeout: 10_000 }).toBe(0);
    expect(flowControlUnit(bodyStreamsSending())).toBe(initialUnit);
  }, 90_000);
});
