import type { Readable } from "node:stream";

/** Bytes a body may hold ahead of the tunnel before the origin's socket is paused. */
const QUEUE_BYTES = 256 * 1024;

/**
 * A web ReadableStream over a Node readable, such as an origin's response body.
 *
 * Replaces `Readable.toWeb()`, which enqueues data that is already flowing after the web stream
 * was cancelled: the uncaught ERR_INVALID_STATE killed the tunnel client whenever a visitor left
 * in the middle of a download. It also copied every chunk; nothing here needs a private copy.
 */
export function webStreamFromNode(readable: Readable): ReadableStream<Uint8Array> {
  let finished = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        readable.on("data", (chunk: Uint8Array) => {
          if (finished) return;
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 0) <= 0) readable.pause();
        });
        readable.once("end", () => {
          if (finished) return;
          finished = true;
          controller.close();
        });
        readable.once("error", (error) => {
          if (finished) return;
          finished = true;
          controller.error(error);
        });
        readable.pause();
      },
      pull() {
        readable.resume();
      },
      cancel() {
        finished = true;
        readable.destroy();
      },
    },
    { highWaterMark: QUEUE_BYTES, size: (chunk) => chunk.byteLength },
  );
}
