import type { CaptunServerShard } from "./shard.ts";

export interface Env {
  CAPTUN_SERVER_SHARD: DurableObjectNamespace<CaptunServerShard>;
  /** When set, clients must present it to connect. Set with `wrangler secret put CONNECT_SECRET`. */
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
}

export function numberSetting(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value && Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}
