// The simulated link `pnpm bench` measures dev pages over (scripts/bench-link.ts): correctness only,
// never its timing. Bytes arrive whole and in order on every connection, the counts say which way
// they went, and a sender faster than the link is paused instead of queued without bound.
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startLink } from "../../../scripts/bench-link.ts";

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** Reads each connection to its end, then answers with the digest of what it read and `reply`. */
async function digestServer(reply: Buffer): Promise<Server & { port: number }> {
  const server = createServer((socket) => {
    const hash = createHash("sha256");
    let length = 0;
    socket.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    socket.on("end", () => {
      socket.write(`${JSON.stringify({ length, sha256: hash.digest("hex") })}\n`);
      socket.end(reply);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}

/** Sends `body` through `port`, half-closes, and collects everything that comes back. */
async function exchange(port: number, body: Buffer): Promise<{ heard: { length: number; sha256: string }; rest: Buffer }> {
  const socket: Socket = connect(port, "127.0.0.1");
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.end(body);
  await once(socket, "close");
  const all = Buffer.concat(chunks);
  const newline = all.indexOf(10);
  return { heard: JSON.parse(all.subarray(0, newline).toString()), rest: all.subarray(newline + 1) };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("bench link", () => {
  it("delivers concurrent connections whole and in order, and counts bytes by direction", async () => {
    const reply = randomBytes(300_000);
    const server = await digestServer(reply);
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    // The tunnel-client layout: the laptop connects, so what it sends is uplink.
    const link = await startLink({ target: `127.0.0.1:${server.port}`, laptop: "connector", rttMs: 4, upMbit: 400, downMbit: 800 });
    cleanups.push(link.close);

    const bodies = [randomBytes(1_500_000), randomBytes(700_000), randomBytes(1)];
    const results = await Promise.all(bodies.map((body) => exchange(link.port, body)));
    results.forEach(({ heard, rest }, i) => {
      expect(heard).toEqual({ length: bodies[i]!.length, sha256: sha256(bodies[i]!) });
      expect(sha256(rest)).toBe(sha256(reply));
    });
    const answers = results.reduce((sum, { heard }) => sum + JSON.stringify(heard).length + 1 + reply.length, 0);
    expect(link.counts()).toMatchObject({
      up: bodies.reduce((sum, body) => sum + body.length, 0),
      down: answers,
      connections: 3,
    });
  });

  it("counts the laptop's uplink the other way round when the laptop is the target", async () => {
    const reply = randomBytes(50_000);
    const server = await digestServer(reply);
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    // The raw-forward layout: visitors connect, the laptop's server answers up its uplink.
    const link = await startLink({ target: `127.0.0.1:${server.port}`, laptop: "target", rttMs: 2, upMbit: 400, downMbit: 800 });
    cleanups.push(link.close);
    const body = randomBytes(10_000);
    const { heard } = await exchange(link.port, body);
    expect(link.counts()).toMatchObject({ up: JSON.stringify(heard).length + 1 + reply.length, down: body.length });
  });

  it("pauses a sender faster than the link instead of queueing everything it writes", async () => {
    const server = await digestServer(Buffer.alloc(0));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const queueBytes = 64 * 1024;
    const [upMbit, rttMs] = [100, 20];
    const link = await startLink({ target: `127.0.0.1:${server.port}`, laptop: "connector", rttMs, upMbit, queueBytes });
    cleanups.push(link.close);

    const body = randomBytes(8 * 1024 * 1024);
    const { heard } = await exchange(link.port, body);
    expect(heard.sha256).toBe(sha256(body));
    // Loopback hands the relay 8 MiB within milliseconds; the link holds at most its queue, what
    // is on the wire for one delay, and the one read that crossed the limit.
    const onTheWire = ((upMbit * 1e6) / 8 / 1000) * (rttMs / 2);
    expect(link.counts().peakQueued).toBeLessThanOrEqual(queueBytes + onTheWire + 256 * 1024);
  });
});
