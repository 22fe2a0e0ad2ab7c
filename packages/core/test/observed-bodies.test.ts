// The CLI's fetcher stack (origin → inspector capture → draining) through a real tunnel: bodies
// arrive exact and recorded, and watching them adds no stream stage (_body-tap.ts), so
// `captun <port>` costs what the library costs per byte.
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

    await expect.poll(() => tunnel.draining.inFlight).toBe(0);
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
    await expect.poll(() => written).toBe(256 * 1024);
    await expect.poll(() => tunnel.draining.inFlight).toBe(1);

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
