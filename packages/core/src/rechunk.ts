import { MAX_CHUNK_BYTES } from "./protocol.ts";

/**
 * Re-cuts a body stream into tunnel messages of at most {@link MAX_CHUNK_BYTES}.
 *
 * Large chunks are split: workerd closes the whole session on a WebSocket message over 32 MiB.
 * Small chunks that are *already queued* are joined up to {@link JOIN_BYTES}: every message costs
 * an RPC call and an acknowledgement on both sides, and an origin that writes in small pieces
 * would otherwise pay that per piece.
 * Nothing waits for more data to arrive, so a server-sent event still leaves the moment the
 * origin writes it.
 */
export function rechunk(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let counted = false;
  const stopCounting = () => {
    if (counted) sending--;
    counted = false;
  };
  let carry: Uint8Array | undefined;
  // A read that was not ready when we stopped gathering; the next pull continues with it.
  let waiting: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  let ended = false;
  const read = () => {
    const next = waiting ?? reader.read();
    waiting = undefined;
    return next;
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!counted) sending++;
      counted = true;
      try {
        await pullInto(controller);
      } catch (error) {
        stopCounting();
        throw error;
      }
    },
    cancel(reason) {
      stopCounting();
      return reader.cancel(reason);
    },
  });

  async function pullInto(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    const parts: Uint8Array[] = [];
    let size = 0;
    if (carry) {
      parts.push(carry);
      size = carry.byteLength;
      carry = undefined;
    } else if (!ended) {
      const first = await read();
      if (first.done) ended = true;
      else {
        parts.push(toBytes(first.value));
        size = parts[0]?.byteLength ?? 0;
      }
    }
    while (size < JOIN_BYTES && !ended) {
      const next = read();
      // A queued chunk settles `next` before this already-resolved marker gets its turn.
      const ready = await Promise.race([next, NOT_READY]);
      if (ready === NOT_READY_VALUE) {
        waiting = next;
        break;
      }
      const result = ready as ReadableStreamReadResult<Uint8Array>;
      if (result.done) ended = true;
      else {
        const bytes = toBytes(result.value);
        parts.push(bytes);
        size += bytes.byteLength;
      }
    }
    if (size === 0) {
      if (ended) {
        stopCounting();
        controller.close();
      }
      return;
    }
    let chunk = parts.length === 1 ? (parts[0] as Uint8Array) : join(parts, size);
    if (chunk.byteLength > MAX_CHUNK_BYTES) {
      carry = chunk.subarray(MAX_CHUNK_BYTES);
      chunk = chunk.subarray(0, MAX_CHUNK_BYTES);
    }
    controller.enqueue(chunk);
  }
}

let sending = 0;

/**
 * How many body streams this process (or Worker isolate) is sending through tunnels right now;
 * the transport shrinks flow-control windows as it grows (see `flowControlUnit`).
 */
export function bodyStreamsSending(): number {
  return sending;
}

// Joining pays a copy; past this size a message's own cost no longer matters, so pieces that are
// already this large go out as they are.
const JOIN_BYTES = 16 * 1024;
const NOT_READY_VALUE = Symbol("not ready");
const NOT_READY = Promise.resolve(NOT_READY_VALUE);

function join(parts: Uint8Array[], size: number): Uint8Array {
  const joined = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.byteLength;
  }
  return joined;
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError("body chunks must be bytes");
}
