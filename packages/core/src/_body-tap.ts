import type { CaptureOutcome } from "./capture.ts";

/** How a body ended, as its observers hear it. */
export type BodyOutcome = Exclude<CaptureOutcome, "pending">;

/** Hears a body as its reader takes it: every chunk, then once how it ended. */
export interface BodyObserver {
  onChunk?: (chunk: Uint8Array) => void;
  onEnd?: (outcome: BodyOutcome, reason?: unknown) => void;
}

/**
 * The observers of one body stream. The stream's own source reports to them as it hands each
 * chunk and its end to the reader, so watching a body (the inspector's capture, the CLI's
 * draining) adds no stream stage: every stage costs a read, a promise and an enqueue per chunk,
 * and two of them made `captun <port>` cost ~1.7× the library's CPU per downloaded byte.
 */
export class BodyObservation {
  #observers: BodyObserver[] = [];
  #ended = false;
  readonly #abort: (error: Error) => void;

  /** `abort` fails the stream for its reader and stops its source (then calls {@link end}). */
  constructor(abort: (error: Error) => void) {
    this.#abort = abort;
  }

  get ended(): boolean {
    return this.#ended;
  }

  add(observer: BodyObserver): void {
    this.#observers.push(observer);
  }

  chunk(chunk: Uint8Array): void {
    for (const observer of this.#observers) observer.onChunk?.(chunk);
  }

  end(outcome: BodyOutcome, reason?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    const observers = this.#observers;
    this.#observers = [];
    for (const observer of observers) observer.onEnd?.(outcome, reason);
  }

  abort(error: Error): void {
    if (!this.#ended) this.#abort(error);
  }
}

const observations = new WeakMap<ReadableStream<Uint8Array>, BodyObservation>();

/** Marks `stream` as reporting to `observation` (its source calls `chunk` and `end`). */
export function observable(stream: ReadableStream<Uint8Array>, observation: BodyObservation): ReadableStream<Uint8Array> {
  observations.set(stream, observation);
  return stream;
}

/** What {@link observeBody} gives back. */
export interface ObservedBody {
  /** The stream to hand on: `body` itself when its source reports to observers. */
  body: ReadableStream<Uint8Array>;
  /** Fails the body for its reader with `error` and stops its source; observers hear "cancelled". */
  abort(error: Error): void;
}

/**
 * Watches `body` as its reader takes it. A stream whose source reports to observers (origin
 * responses, or a body observed before) is handed on as it is; any other passes through one
 * stage that reports, and that stage takes later observers too.
 */
export function observeBody(body: ReadableStream<Uint8Array>, observer: BodyObserver): ObservedBody {
  let stream = body;
  let observation = observations.get(stream);
  if (!observation || observation.ended || stream.locked) {
    stream = reportingStage(body);
    observation = observations.get(stream) as BodyObservation;
  }
  observation.add(observer);
  const watched = observation;
  return { body: stream, abort: (error) => watched.abort(error) };
}

/**
 * `body`, with every chunk shown to `onChunk` and the way it ended to `onEnd`, nothing buffered
 * beyond what the reader asks for.
 */
export function tap(
  body: ReadableStream<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void,
  onEnd: (outcome: CaptureOutcome, reason?: unknown) => void,
): ReadableStream<Uint8Array> {
  return observeBody(body, { onChunk, onEnd }).body;
}

/** `body` passed through chunk by chunk, reporting to an observation of its own. */
function reportingStage(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let control: ReadableStreamDefaultController<Uint8Array> | undefined;
  const observation = new BodyObservation((error) => {
    observation.end("cancelled", error);
    control?.error(error);
    reader.cancel(error).catch(() => {});
  });
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        control = controller;
      },
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          observation.end("error", error);
          controller.error(error);
          return;
        }
        if (observation.ended) return;
        if (result.done) {
          controller.close();
          observation.end("complete");
          return;
        }
        observation.chunk(result.value);
        controller.enqueue(result.value);
      },
      cancel(reason) {
        observation.end("cancelled", reason);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return observable(stream, observation);
}
