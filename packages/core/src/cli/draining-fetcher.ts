import { errorResponse } from "../errors.ts";
import type { Fetcher } from "../server.ts";

/** A {@link Fetcher} that can stop taking new requests while the ones in flight finish. */
export interface DrainingFetcher {
  readonly fetch: Fetcher;
  /** Requests whose response body has not ended yet. */
  readonly inFlight: number;
  /** From now on, answer new requests with 503; resolves once nothing is in flight. */
  drain(): Promise<void>;
}

/** Wraps `inner` so a shutdown can let in-flight requests finish, bodies included. */
export function createDrainingFetcher(inner: Fetcher): DrainingFetcher {
  let inFlight = 0;
  let draining = false;
  let idle: (() => void) | undefined;
  const finished = () => {
    inFlight--;
    if (inFlight === 0) idle?.();
  };
  const fetch: Fetcher = async (request) => {
    if (draining) {
      return errorResponse(request, 503, "tunnel-offline", "This tunnel is shutting down.", { "retry-after": "5" });
    }
    inFlight++;
    let response: Response;
    try {
      response = await inner(request);
    } catch (error) {
      finished();
      throw error;
    }
    if (!response.body) {
      finished();
      return response;
    }
    return new Response(onBodyEnd(response.body, finished), response);
  };
  return {
    fetch,
    get inFlight() {
      return inFlight;
    },
    drain() {
      draining = true;
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idle = resolve;
      });
    },
  };
}

/** Passes `body` through unchanged, calling `onEnd` once when it ends, fails or is cancelled. */
function onBodyEnd(body: ReadableStream<Uint8Array>, onEnd: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            // Let the tunnel queue the end of this body before a waiting shutdown closes the socket.
            setImmediate(end);
          } else {
            controller.enqueue(value);
          }
        } catch (error) {
          end();
          controller.error(error);
        }
      },
      cancel(reason) {
        end();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
