// The CLI's fetcher stack (origin → inspector capture → draining) through a real tunnel: bodies
// arrive exact and recorded, and watching them adds no stream stage (_body-tap.ts), so
// `captun <port>` costs what the library costs per byte.
import { createHash, randomBytes } from "node:crypto";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BodyOutcome, observeBody } from "../src/_body-tap.ts";
import { webStreamFromNode } from "../src/_node-body.ts";
import { createCapture } from "../src/capture.ts";
import { createDrainingFetcher } from "../src/cli/draining-fetcher.ts";
import { createCaptunTunnel } from "../src/client.ts";
import { createOriginFetcher } from "../src/origin.ts";
import type { Fetcher } from "../src/protocol.ts";
import { startOrigin, startTestServer, type TestServer, uniqueName, visit } from "./_harness.ts";

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

/** What `captun <port>` builds: the origin fetcher, captured, inside the draining fetcher; with the bodies each layer saw. */
async function cliStack(originUrl: string) {
  const origin = createOriginFetcher(originUrl);
  const originBodies: (ReadableStream | null)[] = [];
  const sentBodies: (ReadableStream | null)[] = [];
  const watched: Fetcher = async (request) => {
    const response = await origin(request);
    originBodies.push(response.body);
    return response;
  };
  const capture = createCapture();
  const draining = createDrainingFetcher(capture.wrap(watched));
  const tunnel = await createCaptunTunnel({
    url: server.tunnelUrl(uniqueName("observed")),
    secret: server.secret,
    fetch: async (request) => {
      const response = await draining.fetch(request);
      sentBodies.push(response.body);
      return response;
    },
  });
  return Object.assign(tunnel, {
    capture,
    draining,
    originBodies,
    sentBodies,
    async [Symbol.asyncDispose]() {
      await tunnel.close();
      await origin.close();
    },
  });
}

describe("the CLI's fetcher stack", () => {
  it("delivers a large download byte for byte, records its head in the inspector, and hands the tunnel the origin's own stream", async () => {
    const payload = randomBytes(3 * MiB + 12_345);
    await using origin = await startOrigin((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      // Several writes, so the body arrives in many chunks.
      for (let at = 0; at < payload.byteLength; at += 300_000) res.write(payload.subarray(at, at + 300_000));
      res.end();
    });
    await using tunnel = await cliStack(origin.url);

    const answer = await visit(`${tunnel.url}/big`, { headers: { "accept-encoding": "identity" } });
    expect(answer.status).toBe(200);
    const received = new Uint8Array(await answer.arrayBuffer());
    expect(received.byteLength).toBe(payload.byteLength);
    expect(sha256(received)).toBe(sha256(payload));

    // Capture and draining only observe: no stage of their own between the origin and the tunnel.
    expect(tunnel.sentBodies).toHaveLength(1);
    expect(tunnel.sentBodies[0]).toBe(tunnel.originBodies[0]);

    await expect.poll(() => tunnel.draining.inFlight, { timeout: 10_000 }).toBe(0);
    const [exchange] = tunnel.capture.list();
    expect(exchange?.outcome).toBe("complete");
    expect(exchange?.responseBody?.size).toBe(payload.byteLength);
    expect(exchange?.responseBody?.truncated).toBe(true);
    expect(sha256(exchange?.responseBody?.bytes ?? new Uint8Array())).toBe(sha256(payload.subarray(0, MiB)));
  });

  it("when the grace runs out, cuts a body still streaming (never a clean short one) and the inspector records why", async () => {
    let written = 0;
    await using origin = await startOrigin((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(8 * MiB) });
      res.write(randomBytes(256 * 1024), () => {
        written = 256 * 1024;
      });
      // The rest never comes: the shutdown has to cut it.
    });
    await using tunnel = await cliStack(origin.url);

    const answer = await visit(`${tunnel.url}/stuck`, { headers: { "accept-encoding": "identity" } });
    expect(answer.status).toBe(200);
    const reading = answer.arrayBuffer();
    reading.catch(() => {});
    await expect.poll(() => written, { timeout: 10_000 }).toBe(256 * 1024);
    await expect.poll(() => tunnel.draining.inFlight, { timeout: 10_000 }).toBe(1);

    const drained = tunnel.draining.drain();
    tunnel.draining.abortInFlight("captun: shutting down (grace period over)");
    await drained;
    expect(tunnel.draining.inFlight).toBe(0);
    await expect(reading).rejects.toThrow();

    const [exchange] = tunnel.capture.list();
    expect(exchange?.outcome).toBe("cancelled");
    expect(exchange?.error).toContain("grace period over");
  });
});

describe("observing a body", () => {
  /** An observer that records what it heard. */
  function recorder() {
    const heard = { chunks: [] as string[], ends: [] as BodyOutcome[] };
    return {
      heard,
      observer: {
        onChunk: (chunk: Uint8Array) => heard.chunks.push(Buffer.from(chunk).toString()),
        onEnd: (outcome: BodyOutcome) => heard.ends.push(outcome),
      },
    };
  }

  it("joins an origin body's own reporting, and reports the end only when the reader reaches it", async () => {
    const source = new PassThrough();
    const body = webStreamFromNode(source);
    const a = recorder();
    const b = recorder();
    const first = observeBody(body, a.observer);
    const second = observeBody(first.body, b.observer);
    expect(first.body).toBe(body);
    expect(second.body).toBe(body);

    source.write("one");
    source.end("two");
    const reader = body.getReader();
    const read: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      read.push(Buffer.from(value).toString());
      // Every byte may already have arrived, but nobody has read the end yet.
      expect(a.heard.ends).toEqual([]);
    }
    expect(read.join("")).toBe("onetwo");
    expect(a.heard).toEqual({ chunks: read, ends: ["complete"] });
    expect(b.heard).toEqual({ chunks: read, ends: ["complete"] });
  });

  it("watches any other body through one reporting stage that later observers share", async () => {
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const word of ["a", "b", "c"]) controller.enqueue(new TextEncoder().encode(word));
        controller.close();
      },
    });
    const a = recorder();
    const b = recorder();
    const first = observeBody(source, a.observer);
    const second = observeBody(first.body, b.observer);
    expect(first.body).not.toBe(source);
    expect(second.body).toBe(first.body);
    expect(await new Response(second.body).text()).toBe("abc");
    expect(a.heard).toEqual({ chunks: ["a", "b", "c"], ends: ["complete"] });
    expect(b.heard).toEqual(a.heard);
  });

  it("aborting fails the body for its reader and stops the origin; observers hear it was cancelled", async () => {
    const source = new PassThrough();
    const body = webStreamFromNode(source);
    const a = recorder();
    const observed = observeBody(body, a.observer);
    source.write("partial");
    const reader = observed.body.getReader();
    expect(Buffer.from((await reader.read()).value ?? []).toString()).toBe("partial");
    const next = reader.read();
    observed.abort(new Error("grace period over"));
    await expect(next).rejects.toThrow("grace period over");
    expect(source.destroyed).toBe(true);
    expect(a.heard.ends).toEqual(["cancelled"]);
  });
});
