// Reading a small body whole, with a cap (passcode forms, inbox entries), and refusing one.

/** How much of a refused body is read and dropped before answering (see `dropRest`). */
const DRAIN_BYTES = 4 * 1024 * 1024;
const DRAIN_MS = 2_000;

/** The whole body, or undefined if it holds more than `limit` bytes. */
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
      await dropRest(reader);
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

/** Reads and drops a body nobody read, within the same bound as {@link dropRest}, before captun answers instead of the origin. */
export function dropUnread(body: ReadableStream<Uint8Array>): Promise<void> {
  return dropRest(body.getReader());
}

/**
 * Reads and drops what is left of a body the Worker refuses (413), within a bound, before it
 * answers. A server that closes a connection with request bytes still unread resets it, and the
 * reset can destroy the answer before the sender reads it: the visitor would see a dropped
 * connection (502 behind the local server's front) instead of the 413 that says what to change.
 */
async function dropRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
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
