// Reading a small body whole, with a cap (passcode forms, inbox entries), and dropping one nobody took.

/** How much of a refused body is read and dropped before answering (see `dropUnread`). */
const DRAIN_BYTES = 4 * 1024 * 1024;
const DRAIN_MS = 2_000;

/**
 * The whole body, or undefined if it holds more than `limit` bytes. An oversized body is left
 * unlocked, part read: the shard drops the rest before it answers ({@link dropUnread}).
 */
export async function readAtMost(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array | undefined> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.releaseLock();
      return undefined;
    }
    chunks.push(value);
  }
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return joined;
}

/**
 * Reads and drops what is left of a body nobody took (captun answers in the origin's place: 401,
 * 413, 503…), within a bound, before the answer goes. A server that closes a connection with
 * request bytes still unread resets it, and the reset can destroy the answer before the sender
 * reads it: the visitor would see a dropped connection (502 behind the local server's front)
 * instead of the answer that says what to change.
 */
export async function dropUnread(body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), DRAIN_MS);
  });
  try {
    for (let left = DRAIN_BYTES; left > 0; ) {
      const read = await Promise.race([reader.read(), timedOut]);
      if (read === "timeout" || read.done) break;
      left -= read.value.byteLength;
    }
  } catch {
    // The visitor went away: nothing left to protect the answer from.
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
}
