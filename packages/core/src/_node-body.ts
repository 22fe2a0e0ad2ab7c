import type { Readable } from "node:stream";
import { BodyObservation, observable } from "./_body-tap.ts";

/** Bytes a body may hold ahead of the tunnel before the origin's socket is paused. */
const QUEUE_BYTES = 256 * 1024;

/**
 * A web ReadableStream over a Node readable, such as an origin's response body.
 *
 * Replaces `Readable.toWeb()`, which enqueues data that is already flowing after the web stream
 * was cancelled: the uncaught ERR_INVALID_STATE killed the tunnel client whenever a visitor left
 * in the middle of a download. It also copied every chunk; nothing here needs a private copy.
 *
 * Chunks wait in a queue of its own and are handed over when the reader asks, all that arrived
 * at once (the tunnel batches them into one message), so the stream can report each chunk and
 * its end to observers (`_body-tap.ts`) exactly as the reader gets them: the inspector and the
 * CLI's draining watch it without a stream stage of their own.
 */
export function webStreamFromNode(readable: Readable): ReadableStream<Uint8Array> {
  const queue: Uint8Array[] = [];
  let queued = 0;
  let ended = false;
  let finished = false;
  let wake: (() => void) | undefined;
  let control: ReadableStreamDefaultController<Uint8Array> | undefined;
  const awake = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const stop = () => {
    finished = true;
    queue.length = 0;
    queued = 0;
    awake();
  };
  const observation = new BodyObservation((error) => {
    if (finished) return;
    stop();
    observation.end("cancelled", error);
    control?.error(error);
    readable.destroy();
  });
  readable.on("data", (chunk: Uint8Array) => {
    if (finished) return;
    queue.push(chunk);
    queued += chunk.byteLength;
    // What the reader has not taken yet counts too: the controller's queue is measured in bytes.
    if (queued - (control?.desiredSize ?? 0) >= QUEUE_BYTES) readable.pause();
    awake();
  });
  readable.once("end", () => {
    ended = true;
    awake();
  });
  readable.once("error", (error) => {
    // After "end" every byte is queued: the body is complete whatever the socket does next.
    if (finished || ended) return;
    stop();
    observation.end("error", error);
    control?.error(error);
  });
  readable.pause();
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        control = controller;
      },
      async pull(controller) {
        while (queue.length === 0 && !ended && !finished) {
          readable.resume();
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
        if (finished) return;
        if (queue.length === 0) {
          finished = true;
          controller.close();
          observation.end("complete");
          return;
        }
        for (const chunk of queue) {
          observation.chunk(chunk);
          controller.enqueue(chunk);
        }
        queue.length = 0;
        queued = 0;
        if (!ended) readable.resume();
      },
      cancel(reason) {
        if (finished) return;
        stop();
        observation.end("cancelled", reason);
        readable.destroy();
      },
    },
    { highWaterMark: 0, size: (chunk) => chunk.byteLength },
  );
  return observable(stream, observation);
}
