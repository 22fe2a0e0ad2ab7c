import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startLocalFront } from "./_local-front.ts";
import { importMiniflare } from "./_tools.ts";
import { DEFAULT_MAX_BODY_BYTES } from "./protocol.ts";
import type { RoutingMode } from "./routing.ts";
import { newConnectSecret } from "./secret.ts";

/** Must match `compatibility_date` in the repository's wrangler.jsonc (a test checks it). */
export const WORKER_COMPATIBILITY_DATE = "2026-07-01";

/**
 * The bundled Worker, written by worker/build.ts into this package's dist/ (the second path is for
 * running from src/ in this repository's tests).
 */
export const WORKER_BUNDLE = [
  new URL("./worker/captun-worker.js", import.meta.url),
  new URL("../dist/worker/captun-worker.js", import.meta.url),
]
  .map((url) => fileURLToPath(url))
  .find((path) => existsSync(path));

export interface LocalServerOptions {
  /** Loopback port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. Loopback only unless you mean it. @default "127.0.0.1" */
  host?: string;
  /**
   * `subdomain`: tunnels at `http://<name>.localhost:<port>` (browsers resolve `*.localhost`).
   * `folder`: tunnels at `http://127.0.0.1:<port>/<name>`.
   * @default "subdomain"
   */
  routing?: RoutingMode;
  /** Connect secret clients must present. @default a fresh random secret */
  secret?: string;
  /** Number of shards. @default 1 */
  shards?: number;
  /** Extra Worker variables (`MAX_BODY_BYTES`, `HEADERS_TIMEOUT_MS`, …). */
  vars?: Record<string, string>;
}

/** A captun server running locally in workerd. */
export interface LocalServer extends AsyncDisposable {
  /** Where clients and visitors reach the server, e.g. `http://localhost:8787`. */
  readonly url: string;
  readonly routing: RoutingMode;
  /** The `CUSTOM_HOSTNAME` under subdomain routing. */
  readonly customHostname: string | undefined;
  readonly secret: string;
  close(): Promise<void>;
}

/**
 * Runs the captun Worker in workerd (Miniflare) on loopback, with nothing sent off the machine.
 * Visitors reach it through a small node:http front that plays Cloudflare's edge: it sets
 * `CF-Connecting-IP` from the socket, so a visitor cannot claim another address (see _local-front.ts).
 */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  if (!WORKER_BUNDLE) throw new Error("The captun Worker bundle is missing from captun's dist/worker/. Run `pnpm build` first.");
  const routing = options.routing ?? "subdomain";
  const customHostname = routing === "subdomain" ? "localhost" : undefined;
  const secret = options.secret ?? newConnectSecret();
  const bindings: Record<string, string> = { CONNECT_SECRET: secret, SHARDS: String(options.shards ?? 1), ...options.vars };
  if (customHostname) bindings.CUSTOM_HOSTNAME = customHostname;
  const host = options.host ?? "127.0.0.1";
  // Loaded on demand: importing Miniflare takes ~0.5 s, which every `captun` client would pay.
  const { Log, LogLevel, Miniflare } = await importMiniflare("captun server");
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    modules: true,
    scriptPath: WORKER_BUNDLE,
    // Module names are relative to this root; the default (the working directory) breaks when
    // captun is installed outside it ("can't use '..'").
    modulesRoot: dirname(WORKER_BUNDLE),
    compatibilityDate: WORKER_COMPATIBILITY_DATE,
    durableObjects: { CAPTUN_SERVER_SHARD: "CaptunServerShard" },
    bindings,
    // No Request.cf download: everything stays on this machine.
    cf: false,
    log: new Log(LogLevel.WARN),
    // The front talks to the Worker's own socket, not Miniflare's entry worker: that hop re-sends
    // every request inside workerd (~0.5 ms each) for features a Cloudflare-like server does not
    // want (live reload, pretty error pages, `MF-*` controls the front strips anyway).
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  });
  let front: Awaited<ReturnType<typeof startLocalFront>>;
  try {
    await mf.ready;
    // As the Worker reads MAX_BODY_BYTES (worker/src/env.ts, numberSetting).
    const setLimit = Number(bindings.MAX_BODY_BYTES);
    const maxBodyBytes = Number.isFinite(setLimit) && setLimit > 0 ? setLimit : DEFAULT_MAX_BODY_BYTES;
    front = await startLocalFront(host, options.port ?? 0, Number((await mf.unsafeGetDirectURL()).port), maxBodyBytes);
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
  const url = customHostname ? `http://localhost:${front.port}` : `http://${host.includes(":") ? `[${host}]` : host}:${front.port}`;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= front.close().then(() => mf.dispose());
    return closing;
  };
  return { url, routing, customHostname, secret, close, [Symbol.asyncDispose]: close };
}
