import type { CaptunServerShard } from "./shard.ts";

export interface Env {
  CAPTUN_SERVER_SHARD: DurableObjectNamespace<CaptunServerShard>;
  /**
   * Clients must present it to connect; without it every connect is refused. Set with
   * `wrangler secret put CONNECT_SECRET` (`captun deploy` and `captun server` always set one).
   */
  CONNECT_SECRET?: string;
  /** Subdomain routing on `<name>.<CUSTOM_HOSTNAME>`; folder routing (`/<name>/…`) when unset. */
  CUSTOM_HOSTNAME?: string;
  /** Number of Durable Objects tunnels are spread over. @default "1" */
  SHARDS?: string;
  /** Largest request body accepted, in bytes. @default "104857600" (100 MB, Cloudflare's Free/Pro cap) */
  MAX_BODY_BYTES?: string;
  /** How long the client may take to send response headers, in ms. @default "100000" */
  HEADERS_TIMEOUT_MS?: string;
  /** How long GET/HEAD requests wait for a client that just left to come back, in ms; "0" answers 503 at once. @default "10000" */
  RECONNECT_HOLD_MS?: string;
  /** How long a replaced client may take to finish its requests in flight before it is closed, in ms. @default "30000" */
  REPLACED_DRAIN_MS?: string;
  /** Requests per tunnel waiting for their response headers; more get 429. @default "2048" */
  MAX_REQUESTS_IN_FLIGHT?: string;
  /** A request body that sends nothing for this long ends with 408, in ms. @default "30000" */
  BODY_IDLE_TIMEOUT_MS?: string;
  /** Wrong connect secrets one address may send per `CONNECT_FAILURE_WINDOW_MS`. @default "5" */
  CONNECT_FAILURES_PER_ADDRESS?: string;
  /** Wrong connect secrets one tunnel name may receive per `CONNECT_FAILURE_WINDOW_MS`. @default "20" */
  CONNECT_FAILURES_PER_NAME?: string;
  /** The window over which the failure budgets above refill completely, in ms. @default "60000" */
  CONNECT_FAILURE_WINDOW_MS?: string;
  /** Webhook inbox (docs/inspector.md): requests kept per tunnel while no client is connected. @default "1000" */
  INBOX_MAX_REQUESTS?: string;
  /** Bytes kept per tunnel's inbox. @default "67108864" (64 MiB) */
  INBOX_MAX_BYTES?: string;
  /** Largest request body an inbox keeps; bigger ones get 413. @default "1048576" (1 MiB) */
  INBOX_MAX_REQUEST_BYTES?: string;
  /** How long an inbox keeps a request, in seconds. @default "604800" (7 days) */
  INBOX_TTL_SECONDS?: string;
  /** Bytes of responses the shard's edge cache keeps (edge-cache.ts); "0" turns it off. @default "33554432" (32 MiB) */
  EDGE_CACHE_BYTES?: string;
  /** Largest response body the edge cache keeps, as it crossed the tunnel (gzipped when compressible). @default "4194304" (4 MiB) */
  EDGE_CACHE_ENTRY_BYTES?: string;
}

export function numberSetting(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value && Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}
