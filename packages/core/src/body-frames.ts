/**
 * Body frames: request and response bodies as binary WebSocket messages beside the Cap'n Web
 * session, with per-stream credit (DESIGN.md decision 7).
 *
 * The Cap'n Web session still carries the control path (the `fetch` call, headers, errors); a
 * streamed body crosses it only as a {@link FramedBody} reference, `{ frames: id }`. The bytes
 * travel as frames tagged with that id:
 *
 * ```
 * 0xFFFFFFFF (4 bytes; a Cap'n Web binary message starts with its JSON length, never this)
 * kind       (1 byte, FrameKind)
 * stream id  (4 bytes, little-endian; ids belong to the side that sends the body)
 * payload    (data bytes, a credit grant as a u32, or an error's reason in UTF-8)
 * ```
 *
 * Credit: a sender may have {@link INITIAL_CREDIT} bytes of a body on the wire before it hears
 * anything; the receiver grants more as its reader consumes them, up to {@link STREAM_WINDOW}
 * per stream while the connection holds less than {@link CONNECTION_BUDGET} unread. A reader that
 * stops stops only its own sender, and what a receiver holds stays within
 * streams × INITIAL_CREDIT + CONNECTION_BUDGET. A Durable Object's `WebSocket.send` has no
 * backpressure, so this credit is the only thing that bounds its memory.
 *
 * The reference and the first frames race (the sender starts at once): frames for an id the
 * receiver has not seen yet are kept until the reference claims them.
 */

/** A body sent as frames: the id the sender gave it. */
export interface FramedBody {
  frames: number;
}

export const FrameKind = {
  /** Body bytes. */
  data: 0,
  /** The body ended cleanly. */
  end: 1,
  /** The body failed (or was cancelled): the reader sees an error, never a clean end. */
  error: 2,
  /** Receiver → sender: this many more bytes may be sent. */
  credit: 3,
  /** Receiver → sender: stop, nobody reads this body. */
  cancel: 4,
} as const;
type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Bytes of a body a sender may send before the receiver grants any. */
export const INITIAL_CREDIT = 256 * 1024;
/** Most bytes of one body the receiver lets be unread (queued or on the wire). */
export const STREAM_WINDOW = 2 * 1024 * 1024;
/** Unread bytes across a connection past which only {@link INITIAL_CREDIT} per stream is granted. */
export const CONNECTION_BUDGET = 16 * 1024 * 1024;
/** Largest data payload in one frame; bigger chunks are split (workerd closes a session on a 32 MiB message). */
export const MAX_FRAME_BYTES = 256 * 1024;
/**
 * Grants smaller than this wait for the reader to consume more, so credit costs few frames (each
 * one a message both processes handle): one per 512 KiB read, while ~3/4 of the window stays in
 * flight for links with a real round trip.
 */
const MIN_GRANT = STREAM_WINDOW / 4;
/** The least grant past the connection's budget (at most INITIAL_CREDIT, or such a stream could never be granted any). */
const MIN_GRANT_OVER_BUDGET = 128 * 1024;

const HEADER_BYTES = 9;
const MARK = 0xffffffff;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * Bytes a body's source may leave free in front of a chunk for the frame's header (mark the chunk
 * with {@link withFrameHeadroom}): a sender that joins parts into one message (workerd) then
 * writes the header there and sends the chunk as it is, instead of allocating and copying a frame.
 */
export const FRAME_HEADROOM = HEADER_BYTES;
const headroom = new WeakSet<Uint8Array>();

/** Marks `chunk` as having {@link FRAME_HEADROOM} free bytes of its buffer right before it. */
export function withFrameHeadroom(chunk: Uint8Array): Uint8Array {
  if (chunk.byteOffset >= FRAME_HEADROOM) headroom.add(chunk);
  return chunk;
}

export function isFramedBody(body: unknown): body is FramedBody {
  return typeof body === "object" && body !== null && !(body instanceof Uint8Array) && typeof (body as FramedBody).frames === "number";
}

/** Whether a binary WebSocket message is a body frame rather than a Cap'n Web message. */
export function isBodyFrame(data: ArrayBuffer): boolean {
  return data.byteLength >= HEADER_BYTES && new DataView(data).getUint32(0, true) === MARK;
}

function header(kind: FrameKind, id: number): Uint8Array {
  const head = new Uint8Array(HEADER_BYTES);
  const view = new DataView(head.buffer);
  view.setUint32(0, MARK, true);
  head[4] = kind;
  view.setUint32(5, id, true);
  return head;
}

/** One stream this side sends. */
interface Outgoing {
  credit: number;
  /** Wakes a sender waiting for credit (or for the cancel). */
  wake: (() => void) | undefined;
  cancelled: boolean;
  reader: ReadableStreamDefaultReader<Uint8Array>;
}

/** One stream this side receives. */
interface Incoming {
  queue: Uint8Array[];
  /** Bytes in `queue`. */
  queued: number;
  /** Bytes granted and not yet arrived. */
  outstanding: number;
  /** Set once the body ended or failed; delivered after the queue drains. */
  end: { error?: Error } | undefined;
  wake: (() => void) | undefined;
  claimed: boolean;
  onEnd: (() => void) | undefined;
}

export class BodyFrames {
  readonly #send: (parts: Uint8Array[]) => void;
  readonly #outgoing = new Map<number, Outgoing>();
  readonly #incoming = new Map<number, Incoming>();
  /** Ids this side cancelled whose sender has not acknowledged yet: their frames are dropped. */
  readonly #cancelled = new Set<number>();
  #nextId = 1;
  /** Unread bytes (queued or granted) across incoming streams. */
  #unread = 0;
  #closed: Error | undefined;

  readonly #batch: boolean;

  /**
   * `send` puts the parts of one binary WebSocket message on the wire, in order. `batch`: it sends
   * parts without joining them, so queued chunks may share a message at no cost.
   */
  constructor(send: (parts: Uint8Array[]) => void, options: { batch?: boolean } = {}) {
    this.#send = send;
    this.#batch = options.batch ?? false;
  }

  /** Streams this side is sending / receiving right now. */
  get sizes(): { sending: number; receiving: number; unreadBytes: number } {
    return { sending: this.#outgoing.size, receiving: this.#incoming.size, unreadBytes: this.#unread };
  }

  /** Starts sending `body` as frames; the returned reference goes in the RPC message instead. */
  send(body: ReadableStream<Uint8Array>): FramedBody {
    const id = this.#nextId++;
    const stream: Outgoing = {
      credit: INITIAL_CREDIT,
      wake: undefined,
      cancelled: false,
      reader: body.getReader(),
    };
    this.#outgoing.set(id, stream);
    void this.#pump(id, stream);
    return { frames: id };
  }

  /** The body a reference stands for. `onEnd` runs once when it ended, failed or was cancelled. */
  receive(ref: FramedBody, onEnd?: () => void): ReadableStream<Uint8Array> {
    const id = ref.frames;
    let stream = this.#incoming.get(id);
    if (stream?.claimed || this.#cancelled.has(id)) throw new TypeError(`body stream ${id} was already received`);
    if (!stream) {
      stream = this.#open(id);
      if (this.#closed) stream.end = { error: this.#closed };
    }
    stream.claimed = true;
    stream.onEnd = onEnd;
    const incoming = stream;
    return new ReadableStream<Uint8Array>(
      {
        pull: (controller) => this.#pull(id, incoming, controller),
        cancel: () => this.#cancel(id, incoming),
      },
      { highWaterMark: 0 },
    );
  }

  /**
   * Gives up on a body this side sends or receives (its request failed): a sender stops and
   * cancels its source, a receiver tells the sender to stop and fails its reader.
   */
  abandon(ref: FramedBody, side: "sent" | "received"): void {
    // Each side numbers the bodies it sends, so the same id can name one of each.
    const outgoing = side === "sent" ? this.#outgoing.get(ref.frames) : undefined;
    if (outgoing) {
      cancelOutgoing(outgoing, new Error("the request failed"));
      outgoing.wake?.();
    }
    const incoming = side === "received" ? this.#incoming.get(ref.frames) : undefined;
    if (incoming) {
      this.#cancel(ref.frames, incoming);
      incoming.wake?.();
    }
  }

  /** Handles one body frame from the peer. */
  handle(data: ArrayBuffer): void {
    const view = new DataView(data);
    const kind = view.getUint8(4) as FrameKind;
    const id = view.getUint32(5, true);
    if (kind === FrameKind.credit || kind === FrameKind.cancel) {
      const stream = this.#outgoing.get(id);
      if (!stream) return;
      if (kind === FrameKind.credit) stream.credit += view.getUint32(HEADER_BYTES, true);
      else cancelOutgoing(stream, new Error("the receiver cancelled the body"));
      stream.wake?.();
      return;
    }
    if (this.#cancelled.has(id)) {
      if (kind !== FrameKind.data) this.#cancelled.delete(id);
      return;
    }
    if (this.#closed) return;
    const stream = this.#incoming.get(id) ?? this.#open(id);
    if (stream.end) return;
    if (kind === FrameKind.data) {
      const bytes = new Uint8Array(data, HEADER_BYTES);
      stream.queue.push(bytes);
      stream.queued += bytes.byteLength;
      stream.outstanding -= bytes.byteLength;
    } else {
      stream.end = kind === FrameKind.end ? {} : { error: new Error(textDecoder.decode(new Uint8Array(data, HEADER_BYTES))) };
    }
    stream.wake?.();
  }

  /** The session ended: every body still receiving fails, every body still sending is cancelled. */
  close(reason: Error): void {
    if (this.#closed) return;
    this.#closed = reason;
    for (const stream of this.#incoming.values()) {
      if (stream.end) continue;
      stream.end = { error: reason };
      stream.wake?.();
    }
    for (const stream of this.#outgoing.values()) {
      cancelOutgoing(stream, reason);
      stream.wake?.();
    }
  }

  #open(id: number): Incoming {
    const stream: Incoming = {
      queue: [],
      queued: 0,
      outstanding: INITIAL_CREDIT,
      end: undefined,
      wake: undefined,
      claimed: false,
      onEnd: undefined,
    };
    this.#unread += INITIAL_CREDIT;
    this.#incoming.set(id, stream);
    return stream;
  }

  async #pull(id: number, stream: Incoming, controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    while (stream.queue.length === 0 && !stream.end) {
      await new Promise<void>((resolve) => {
        stream.wake = resolve;
      });
      stream.wake = undefined;
    }
    const bytes = stream.queue.shift();
    if (bytes) {
      stream.queued -= bytes.byteLength;
      this.#unread -= bytes.byteLength;
      controller.enqueue(bytes);
      this.#grant(id, stream);
      return;
    }
    this.#finish(id, stream);
    if (stream.end?.error) controller.error(stream.end.error);
    else controller.close();
  }

  /** Tops the sender's credit back up once the reader has made room for at least {@link MIN_GRANT}. */
  #grant(id: number, stream: Incoming): void {
    if (stream.end || this.#closed) return;
    const unread = stream.queued + stream.outstanding;
    let room = STREAM_WINDOW - unread;
    let least = MIN_GRANT;
    // Past the connection's budget a stream still gets its initial credit: a reader elsewhere that
    // stopped must not stall this one.
    if (this.#unread + room > CONNECTION_BUDGET) {
      room = Math.max(INITIAL_CREDIT - unread, CONNECTION_BUDGET - this.#unread);
      least = MIN_GRANT_OVER_BUDGET;
    }
    if (room < least) return;
    stream.outstanding += room;
    this.#unread += room;
    const message = header(FrameKind.credit, id);
    const grant = new Uint8Array(4);
    new DataView(grant.buffer).setUint32(0, room, true);
    this.#sendFrame([message, grant]);
  }

  #cancel(id: number, stream: Incoming): void {
    const ended = stream.end !== undefined;
    this.#finish(id, stream);
    // Frames already on their way are dropped until the sender's closing frame arrives.
    if (!ended && !this.#closed) {
      this.#cancelled.add(id);
      this.#sendFrame([header(FrameKind.cancel, id)]);
    }
  }

  #finish(id: number, stream: Incoming): void {
    if (this.#incoming.get(id) !== stream) return;
    this.#incoming.delete(id);
    this.#unread -= stream.queued + stream.outstanding;
    stream.queue = [];
    stream.queued = 0;
    stream.outstanding = 0;
    stream.end ??= { error: new Error("body stream cancelled") };
    stream.onEnd?.();
  }

  async #pump(id: number, stream: Outgoing): Promise<void> {
    const { reader } = stream;
    // Bytes read and not sent yet, and a read already under way.
    let carry: Uint8Array | undefined;
    let ahead: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
    try {
      for (;;) {
        if (!carry) {
          // A cancel cancels the reader, which ends a read waiting for the origin's next chunk
          // (an idle SSE stream has none) as `done`: only an end that was not a cancel is clean.
          const result = await (ahead ?? reader.read());
          ahead = undefined;
          if (stream.cancelled) break;
          if (result.done) {
            this.#sendFrame([header(FrameKind.end, id)]);
            return;
          }
          carry = toBytes(result.value);
          if (carry.byteLength === 0) {
            carry = undefined;
            continue;
          }
        }
        while (stream.credit <= 0 && !stream.cancelled) {
          await new Promise<void>((resolve) => {
            stream.wake = resolve;
          });
          stream.wake = undefined;
        }
        if (stream.cancelled) break;
        const room = Math.min(stream.credit, MAX_FRAME_BYTES);
        const parts = [header(FrameKind.data, id)];
        const roomy = !this.#batch && headroom.has(carry);
        let size = 0;
        const take = (bytes: Uint8Array): Uint8Array | undefined => {
          const n = Math.min(bytes.byteLength, room - size);
          parts.push(n === bytes.byteLength ? bytes : bytes.subarray(0, n));
          size += n;
          return n === bytes.byteLength ? undefined : bytes.subarray(n);
        };
        carry = take(carry);
        // Chunks already queued join this message, as fragments where the socket sends parts
        // without copying (Node): a Worker then handles one message per 256 KiB, not per 64 KiB.
        let waited = false;
        while (this.#batch && !carry && size < room) {
          const next = reader.read();
          // A queued chunk settles `next` before this already-resolved marker gets its turn.
          let ready = await Promise.race([next, NOT_READY]);
          if (ready === NOT_READY_VALUE && !waited) {
            // Once per message, let the event loop finish the socket reads it is in the middle
            // of: they arrive one callback (and one microtask turn) at a time, so without this a
            // message rarely holds more than one origin chunk.
            waited = true;
            await new Promise((resolve) => setImmediate(resolve));
            ready = await Promise.race([next, NOT_READY]);
          }
          if (ready === NOT_READY_VALUE || ready.done || stream.cancelled) {
            ahead = next;
            break;
          }
          carry = take(toBytes(ready.value));
        }
        if (stream.cancelled) break;
        this.#sendFrame(roomy && parts.length === 2 ? inPlace(parts[0] as Uint8Array, parts[1] as Uint8Array) : parts);
        stream.credit -= size;
      }
      // Cancelled by the receiver or by the session's end: tell the receiver this id is done.
      this.#sendFrame([header(FrameKind.error, id), textEncoder.encode("body stream cancelled")]);
    } catch (error) {
      this.#sendFrame([header(FrameKind.error, id), textEncoder.encode(reasonOf(error))]);
    } finally {
      this.#outgoing.delete(id);
    }
  }

  #sendFrame(parts: Uint8Array[]): void {
    if (this.#closed) return;
    try {
      this.#send(parts);
    } catch (error) {
      this.close(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/** One message of `head` and `data`, written into the headroom in front of `data` (see {@link withFrameHeadroom}). */
function inPlace(head: Uint8Array, data: Uint8Array): Uint8Array[] {
  const frame = new Uint8Array(data.buffer, data.byteOffset - head.byteLength, head.byteLength + data.byteLength);
  frame.set(head);
  return [frame];
}

const NOT_READY_VALUE = Symbol("not ready");
const NOT_READY = Promise.resolve(NOT_READY_VALUE);

function cancelOutgoing(stream: Outgoing, reason: Error): void {
  if (stream.cancelled) return;
  stream.cancelled = true;
  stream.reader.cancel(reason).catch(() => {});
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message || "body stream failed";
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError("body chunks must be bytes");
}
