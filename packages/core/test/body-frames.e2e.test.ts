import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaptunTunnel } from "../src/client.ts";
import { createOriginFetcher } from "../src/origin.ts";
import { readBody, startOrigin, startTestServer, type TestServer, tunnelToOrigin, uniqueName, visit } from "./_harness.ts";

// Body frames (body-frames.ts) through the real Worker in workerd: whole bodies both ways, a
// stalled visitor that holds only its own stream, and a client that does not offer frames.

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

function streamOf(data: Uint8Array, piece = MiB): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (let at = 0; at < data.length; at += piece) controller.enqueue(data.subarray(at, at + piece));
      controller.close();
    },
  });
}

describe("body frames through the Worker", () => {
  it("carries 64 MiB each way with the hash intact", async () => {
    const data = randomBytes(64 * MiB);
    await using origin = await startOrigin(async (req, res) => {
      if (req.method === "POST") {
        const body = await readBody(req);
        res.end(JSON.stringify({ length: body.length, sha256: sha256(body) }));
        return;
      }
      res.setHeader("content-type", "application/octet-stream");
      res.setHeader("content-length", data.length);
      res.end(data);
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const down = await visit(`${tunnel.url}/down`);
    expect(sha256(new Uint8Array(await down.arrayBuffer()))).toBe(sha256(data));
    const up = await visit(`${tunnel.url}/up`, { method: "POST", body: streamOf(data), duplex: "half" } as never);
    expect(await up.json()).toEqual({ length: data.length, sha256: sha256(data) });
  });

  it("holds a visitor that stops reading at its own stream's credit while another visitor downloads", async () => {
    const data = randomBytes(16 * MiB);
    let written = 0;
    await using origin = await startOrigin(async (req, res) => {
      res.setHeader("content-type", "application/octet-stream");
      if (req.url === "/endless") {
        // 512 MiB offered with backpressure: only what the tunnel asks for leaves the origin.
        const piece = Buffer.alloc(MiB);
        for (let i = 0; i < 512 && !res.destroyed; i++) {
          written += piece.length;
          if (!res.write(piece)) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
        }
        res.end();
        return;
      }
      res.end(data);
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const stalled = await visit(`${tunnel.url}/endless`);
    const reader = stalled.body?.getReader();
    await reader?.read();
    for (let round = 0; round < 2; round++) {
      const other = await visit(`${tunnel.url}/data`);
      expect(sha256(new Uint8Array(await other.arrayBuffer()))).toBe(sha256(data));
      // Socket buffers on the way (origin → client, Worker → visitor) hold some MiB; without
      // credit the client would have read the origin as fast as it writes.
      expect(written).toBeLessThanOrEqual(48 * MiB);
    }
    await reader?.cancel();
  });

  it("keeps bodies whole for a client that does not offer frames (an older client)", async () => {
    const data = randomBytes(4 * MiB);
    await using origin = await startOrigin(async (req, res) => {
      if (req.method === "POST") res.end(sha256(await readBody(req)));
      else res.end(data);
    });
    const fetcher = createOriginFetcher(origin.url);
    await using tunnel = await createCaptunTunnel({
      url: server.tunnelUrl(uniqueName()),
      secret: server.secret,
      fetch: fetcher,
      bodyFrames: false,
    });
    const down = await visit(`${tunnel.url}/down`);
    expect(sha256(new Uint8Array(await down.arrayBuffer()))).toBe(sha256(data));
    const up = await visit(`${tunnel.url}/up`, { method: "POST", body: streamOf(data), duplex: "half" } as never);
    expect(await up.text()).toBe(sha256(data));
    await fetcher.close();
  });
});
