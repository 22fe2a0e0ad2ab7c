import { type CaptunTunnel, type CreateCaptunTunnelOptions, createCaptunTunnel } from "./client.ts";
import { isFinalConnectError } from "./errors.ts";
import { CloseCode, HEARTBEAT_INTERVAL_MS } from "./protocol.ts";

/** What happened to a kept-open tunnel, for logging and UI. */
export type TunnelEvent =
  | { type: "connected"; url: string; name: string | undefined; attempt: number }
  | { type: "disconnected"; code: number; reason: string }
  | { type: "retrying"; error: Error; delayMs: number; attempt: number }
  /** A newer client took the name: this one stops for good. */
  | { type: "replaced" }
  /** The server refused the secret: retrying cannot help, so this one stops. */
  | { type: "unauthorized"; error: Error }
  /** Client and server speak different protocol versions (the message says which to update): this one stops. */
  | { type: "incompatible"; error: Error }
  | { type: "closed" };

/**
 * Why a kept-open tunnel dropped, in words for a log line. The server drops a client it has heard
 * nothing from for two heartbeat intervals; an in-process tunnel hears that when its process runs
 * again after a breakpoint or a long synchronous task, which is worth saying plainly.
 */
export function disconnectCause(event: { code: number; reason: string }): string {
  if (event.code === CloseCode.silent) {
    return (
      `the captun server heard nothing from this process for ${(2 * HEARTBEAT_INTERVAL_MS) / 1000} s — ` +
      "stopped at a breakpoint, blocked by synchronous work, or asleep — so it dropped the tunnel; requests in flight got 502"
    );
  }
  return `${event.code}${event.reason ? ` ${event.reason}` : ""}`;
}

export interface KeepTunnelOpenOptions extends CreateCaptunTunnelOptions {
  onEvent?: (event: TunnelEvent) => void;
  /** First retry delay; doubles up to `maxDelayMs`, with ±50% jitter. @default 250 */
  minDelayMs?: number;
  /** @default 15_000 */
  maxDelayMs?: number;
}

/** A tunnel that reconnects under the same name after drops, until closed, replaced or refused. */
export interface KeptTunnel extends AsyncDisposable {
  /** Resolves on the first successful connect; rejects if it stops before ever connecting. */
  readonly ready: Promise<{ url: string; name: string | undefined }>;
  /** The live tunnel, when connected. */
  readonly current: CaptunTunnel | undefined;
  /** Resolves when it has stopped for good. */
  readonly stopped: Promise<void>;
  close(): Promise<void>;
}

/** Opens a tunnel and keeps it open. Returns at once; never throws. */
export function keepTunnelOpen(options: KeepTunnelOpenOptions): KeptTunnel {
  const { onEvent = () => {}, minDelayMs = 250, maxDelayMs = 15_000, ...connect } = options;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let current: CaptunTunnel | undefined;
  let resolveReady!: (info: { url: string; name: string | undefined }) => void;
  let rejectReady!: (error: unknown) => void;
  const ready = new Promise<{ url: string; name: string | undefined }>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => {});

  const run = async () => {
    let attempt = 0;
    while (!stop.signal.aborted) {
      attempt++;
      try {
        current = await createCaptunTunnel({ ...connect, signal: stop.signal });
      } catch (error) {
        if (stop.signal.aborted) break;
        if (isFinalConnectError(error)) {
          onEvent({ type: error.name === "CaptunAuthError" ? "unauthorized" : "incompatible", error });
          rejectReady(error);
          return;
        }
        const delayMs = backoff(attempt, minDelayMs, maxDelayMs);
        onEvent({ type: "retrying", error: error as Error, delayMs, attempt });
        await sleep(delayMs, stop.signal);
        continue;
      }
      attempt = 0;
      onEvent({ type: "connected", url: current.url, name: current.name, attempt });
      resolveReady({ url: current.url, name: current.name });
      const closed = await current.closed;
      current = undefined;
      if (stop.signal.aborted) break;
      if (closed.code === CloseCode.replaced) {
        onEvent({ type: "replaced" });
        rejectReady(new Error("replaced by a newer client"));
        return;
      }
      onEvent({ type: "disconnected", code: closed.code, reason: closed.reason });
    }
    rejectReady(new Error("closed before it connected"));
  };
  const stopped = run().finally(() => {
    // A long-lived caller signal must not keep this tunnel (and its fetcher) reachable.
    options.signal?.removeEventListener("abort", onAbort);
    onEvent({ type: "closed" });
  });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stop.abort();
      await current?.close();
      await stopped;
    })();
    return closing;
  };
  return {
    ready,
    get current() {
      return current;
    },
    stopped,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function backoff(attempt: number, min: number, max: number): number {
  const base = Math.min(max, min * 2 ** (attempt - 1));
  return Math.round(base * (0.5 + Math.random()));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
