import { describe, expect, it } from "vitest";
import { MAX_CHUNK_BYTES } from "../src/protocol.ts";
import { bodyStreamsSending, rechunk } from "../src/rechunk.ts";
import { flowControlUnit } from "../src/transport.ts";

async function chunksOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
  return chunks;
}

const sizesOf = async (stream: ReadableStream<Uint8Array>) => (await chunksOf(stream)).map((chunk) => chunk.byteLength);

describe("rechunk", () => {
  it("joins small chunks that are already queued, in order", async () => {
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 100; i++) controller.enqueue(new Uint8Array(100).fill(i));
        controller.close();
      },
    });
    const bytes = (await chunksOf(rechunk(source))).flatMap((chunk) => [...chunk]);
    expect(bytes).toEqual(Array.from({ length: 100 }, (_, i) => new Array(100).fill(i)).flat());
    expect(await sizesOf(rechunk(new Blob([new Uint8Array(10_000)]).stream()))).toEqual([10_000]);
  });

  it("sends fewer messages than the source has small chunks", async () => {
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 64; i++) controller.enqueue(new Uint8Array(1024));
        controller.close();
      },
    });
    const sizes = await sizesOf(rechunk(source));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(64 * 1024);
    expect(sizes.length).toBeLessThanOrEqual(4);
  });

  it("splits chunks over the message cap", async () => {
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(MAX_CHUNK_BYTES * 2 + 5));
        controller.close();
      },
    });
    expect(await sizesOf(rechunk(source))).toEqual([MAX_CHUNK_BYTES, MAX_CHUNK_BYTES, 5]);
  });

  it("does not wait for more data before passing on what arrived (server-sent events)", async () => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
      },
    });
    const reader = rechunk(source).getReader();
    controller.enqueue(new TextEncoder().encode("data: one\n\n"));
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("data: one\n\n");
    // The pending read is carried over, not lost.
    const second = reader.read();
    controller.enqueue(new TextEncoder().encode("data: two\n\n"));
    controller.close();
    expect(new TextDecoder().decode((await second).value)).toBe("data: two\n\n");
    expect((await reader.read()).done).toBe(true);
  });

  it("counts streams while they are sent, so windows shrink when many are in flight", async () => {
    const before = bodyStreamsSending();
    const finished = rechunk(new Blob([new Uint8Array(10)]).stream());
    const open = Array.from({ length: 20 }, () => rechunk(new ReadableStream<Uint8Array>({ pull: (c) => c.enqueue(new Uint8Array(10)) })));
    const readers = open.map((stream) => stream.getReader());
    await Promise.all(readers.map((reader) => reader.read()));
    await sizesOf(finished);
    expect(bodyStreamsSending()).toBe(before + 20);
    expect(flowControlUnit(bodyStreamsSending())).toBe(1);
    await Promise.all(readers.map((reader) => reader.cancel()));
    expect(bodyStreamsSending()).toBe(before);
    expect(flowControlUnit(bodyStreamsSending())).toBe(4);
  });

  it("passes cancellation to the source", async () => {
    let cancelled: unknown;
    const source = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(10));
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const reader = rechunk(source).getReader();
    await reader.read();
    await reader.cancel("visitor left");
    expect(cancelled).toBe("visitor left");
  });
});
