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
  /** Webhook inbox (docs/inspector.md): requests kept per tunnel while no client is connected. @default "1000" */
  INBOX_MAX_REQUESTS?: string;
  /** Bytes kept per tunnel's inbox. @default "67108864" (64 MiB) */
  INBOX_MAX_BYTES?: string;
  /** Largest request body an inbox keeps; bigger ones get 413. @default "1048576" (1 MiB) */
  INBOX_MAX_REQUEST_BYTES?: string;
  /** How long an inbox keeps a request, in seconds. @default "604800" (7 days) */
  INBOX_TTL_SECONDS?: string;
}

export function numberSetting(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value && Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}
