import type { WireResponse } from "./protocol.ts";

/**
 * Settles like `call`, or rejects with the signal's reason as soon as it aborts, as the global
 * `fetch` does, so `AbortSignal.timeout()` on a request sent down a tunnel works. An answer that
 * arrives after the abort has its streamed body cancelled, so that stream does not stay open.
 */
export function untilAborted(call: PromiseLike<WireResponse>, signal: AbortSignal | null | undefined): Promise<WireResponse> {
  if (!signal) return Promise.resolve(call);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      reject(signal.reason);
      Promise.resolve(call).then(
        (late) => {
          if (late.body instanceof ReadableStream) void late.body.cancel(signal.reason).catch(() => {});
        },
        // The caller has its answer already (the abort); a late failure changes nothing.
        () => {},
      );
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    Promise.resolve(call).then(
      (wire) => {
        signal.removeEventListener("abort", onAbort);
        resolve(wire);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
