// Limits with names: a flood of requests and bodies that stall are answered by the Worker with
// their own status and code, and the tunnel, its origin and other tunnels keep serving.
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaptunTunnel } from "../src/client.ts";
import { openSocket, readResponse } from "./_attacker.ts";
import { readBody, startOrigin, startTestServer, type TestServer, tunnelToOrigin, uniqueName, visit } from "./_harness.ts";

describe("requests in flight per tunnel", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ vars: { MAX_REQUESTS_IN_FLIGHT: "3" } });
  });
  afterAll(() => server[Symbol.asyncDispose]());

  it("beyond the cap get 429 + Retry-After before reaching the origin; other tunnels and later requests go through", async () => {
    const held: ServerResponse[] = [];
    let arrived = 0;
    await using origin = await startOrigin((_req, res) => {
      arrived++;
      held.push(res);
    });
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const name = uniqueName("other");
    await using other = await createCaptunTunnel({
      url: server.tunnelUrl(name),
      secret: server.secret,
      fetch: () => new Response("other"),
    });

    const first = Array.from({ length: 3 }, (_, i) => visit(`${tunnel.url}/held-${i}`));
    await expect.poll(() => arrived, { timeout: 10_000 }).toBe(3);
    const over = await Promise.all(Array.from({ length: 5 }, (_, i) => visit(`${tunnel.url}/over-${i}`)));
    for (const response of over) {
      expect(response.status).toBe(429);
      expect(response.headers.get("x-captun-error")).toBe("too-many-requests");
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect(arrived).toBe(3);
    expect(await (await visit(`${other.url}/`)).text()).toBe("other");

    for (const res of held) res.end("done");
    for (const response of await Promise.all(first)) expect(response.status).toBe(200);
    held.length = 0;
    const after = visit(`${tunnel.url}/after`);
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(1);
    held[0]!.end("after");
    expect(await (await after).text()).toBe("after");
  });
});

describe("request bodies that stall", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ vars: { BODY_IDLE_TIMEOUT_MS: "1000" } });
  });
  afterAll(() => server[Symbol.asyncDispose]());

  /** An origin that reads each body and records whether it arrived whole. */
  async function recordingOrigin() {
    const uploads: { url: string; complete: boolean; aborted: boolean; bytes: number }[] = [];
    const origin = await startOrigin(async (req: IncomingMessage, res) => {
      const entry = { url: req.url ?? "", complete: false, aborted: false, bytes: 0 };
      uploads.push(entry);
      req.on("close", () => {
        entry.aborted = !entry.complete;
      });
      req.on("data", (chunk: Buffer) => {
        entry.bytes += chunk.length;
      });
      req.on("end", () => {
        entry.complete = true;
        res.end(`got ${entry.bytes}`);
      });
    });
    return Object.assign(origin, { uploads });
  }

  it.each([
    ["Content-Length", "content-length: 1000000"],
    ["chunked", "transfer-encoding: chunked"],
  ])("end with 408 after sending nothing for the idle timeout (%s); the origin sees an aborted upload", async (_kind, framing) => {
    await using origin = await recordingOrigin();
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const { host, pathname } = new URL(`${tunnel.url}/stall`);
    const socket = await openSocket(tunnel.url);
    await using _socket = { [Symbol.asyncDispose]: async () => void socket.destroy() };
    // More than one 256 KiB piece, so that part of the upload reaches the origin before the stall.
    const first = Buffer.alloc(300_000, 1);
    const chunked = framing.startsWith("transfer");
    socket.write(`POST ${pathname} HTTP/1.1\r\nhost: ${host}\r\n${framing}\r\n\r\n`);
    socket.write(chunked ? Buffer.concat([Buffer.from(`${first.length.toString(16)}\r\n`), first, Buffer.from("\r\n")]) : first);
    // …and then nothing: no more bytes, no end.
    const answer = await readResponse(socket);
    expect(answer.status).toBe(408);
    expect(answer.head).toContain("x-captun-error: body-timeout");
    await expect.poll(() => origin.uploads.length, { timeout: 5_000 }).toBe(1);
    await expect.poll(() => origin.uploads[0]!.aborted, { timeout: 5_000 }).toBe(true);
    expect(origin.uploads[0]!.complete).toBe(false);
    expect(origin.uploads[0]!.bytes).toBeGreaterThan(0);

    // The tunnel keeps serving.
    const response = await visit(`${tunnel.url}/next`, { method: "POST", body: "small" });
    expect(await response.text()).toBe("got 5");
  });

  it("do not end a slow body that keeps sending", async () => {
    await using origin = await startOrigin(async (req, res) => res.end(`got ${(await readBody(req)).toString()}`));
    await using tunnel = await tunnelToOrigin(server, origin.url);
    const { host, pathname } = new URL(`${tunnel.url}/slow`);
    const socket = await openSocket(tunnel.url);
    await using _socket = { [Symbol.asyncDispose]: async () => void socket.destroy() };
    const text = "slow-and-steady";
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString();
    });
    socket.write(`POST ${pathname} HTTP/1.1\r\nhost: ${host}\r\ncontent-length: ${text.length}\r\n\r\n`);
    // The visitor under test is slow on purpose: one byte every 250 ms, ~3.75 s in all, far over
    // the 1 s idle timeout but never silent for 1 s.
    for (const byte of text) {
      socket.write(byte);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await expect.poll(() => received, { timeout: 5_000 }).toMatch(new RegExp(`^HTTP/1.1 200[\\s\\S]*got ${text}$`));
  });
});
