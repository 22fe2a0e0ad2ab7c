// Runs the weather reporter in workerd (Miniflare) on loopback. Every outgoing fetch the Worker
// makes passes a guard: loopback URLs are forwarded, anything else is refused and recorded, so a
// test can never reach the real weather API, not even its DNS.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Log, LogLevel, Miniflare, type Request as MiniflareRequest, Response as MiniflareResponse } from "miniflare";
import { bundleWorker } from "../bundle.ts";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

export interface WeatherReporterWorker extends AsyncDisposable {
  /** Where the Worker listens, e.g. `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The tunnel URL to attach to with `createCaptunTunnel`. */
  readonly egressTunnelUrl: string;
  /** The `EGRESS_SECRET` the Worker expects. */
  readonly secret: string;
  /** URLs the Worker tried to reach off this machine (refused by the guard). */
  readonly blockedEgress: string[];
}

let bundle: Promise<string> | undefined;

/** Starts the Worker with `vars` as its variables (e.g. loopback `GEOCODING_URL` / `FORECAST_URL`). */
export async function startWeatherReporter(vars: Record<string, string> = {}): Promise<WeatherReporterWorker> {
  bundle ??= bundleWorker();
  const secret = randomBytes(18).toString("base64url");
  const blockedEgress: string[] = [];
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    modules: true,
    script: await bundle,
    compatibilityDate: await compatibilityDate(),
    durableObjects: { WEATHER_REPORTER: "WeatherReporter" },
    bindings: { EGRESS_SECRET: secret, ...vars },
    cf: false,
    log: new Log(LogLevel.WARN),
    outboundService: async (request: MiniflareRequest) => {
      const url = new URL(request.url);
      if (!LOOPBACK_HOSTS.has(url.hostname)) {
        blockedEgress.push(request.url);
        return new MiniflareResponse("the test guard refused a request off this machine", { status: 599 });
      }
      const response = await fetch(request.url, { method: request.method, headers: [...request.headers] });
      return new MiniflareResponse(await response.arrayBuffer(), { status: response.status, headers: [...response.headers] });
    },
  });
  let ready: URL;
  try {
    ready = await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
  const url = ready.origin;
  return {
    url,
    egressTunnelUrl: `${url}/__egress`,
    secret,
    blockedEgress,
    [Symbol.asyncDispose]: () => mf.dispose(),
  };
}

/** The date in wrangler.jsonc, so the tests run what `wrangler deploy` would. */
async function compatibilityDate(): Promise<string> {
  const config = await readFile(new URL("../wrangler.jsonc", import.meta.url), "utf8");
  const date = /"compatibility_date":\s*"([\d-]+)"/.exec(config)?.[1];
  if (!date) throw new Error("wrangler.jsonc has no compatibility_date");
  return date;
}
