import type { CaptureOutcome } from "./capture.ts";

/**
 * `body`, passed through chunk by chunk (nothing buffered beyond what the reader asks for), with
 * every chunk shown to `onChunk` and the way it ended to `onEnd`.
 */
export function tap(
  body: ReadableStream<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void,
  onEnd: (outcome: CaptureOutcome, reason?: unknown) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          onEnd("error", error);
          controller.error(error);
          return;
        }
        if (result.done) {
          controller.close();
          onEnd("complete");
          return;
        }
        onChunk(result.value);
        controller.enqueue(result.value);
      },
      cancel(reason) {
        onEnd("cancelled", reason);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
