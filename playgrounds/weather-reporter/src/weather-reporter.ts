import { DurableObject } from "cloudflare:workers";
import { CONNECT_PATH } from "captun";
import { Egress } from "./egress.ts";
import type { Env } from "./env.ts";
import { DEFAULT_FORECAST_URL, DEFAULT_GEOCODING_URL, reportWeather, WeatherError } from "./weather.ts";

/**
 * The tunnel URL tests attach to; `createCaptunTunnel` connects to this plus `/__captun-connect`.
 */
export const EGRESS_TUNNEL_PATH = "/__egress";

/** Answers `/weather?city=…` from a public weather API, reached through {@link Egress}. */
export class WeatherReporter extends DurableObject<Env> {
  readonly #egress = new Egress();

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === EGRESS_TUNNEL_PATH + CONNECT_PATH) return this.#egress.attach(request, this.env.EGRESS_SECRET);
    if (url.pathname !== "/weather") return text(404, "Try /weather?city=Berlin\n");
    const city = url.searchParams.get("city")?.trim();
    if (!city) return text(400, "Add the city to the query: /weather?city=Berlin\n");
    try {
      const report = await reportWeather(city, {
        fetch: this.#egress.fetch,
        geocodingUrl: this.env.GEOCODING_URL || DEFAULT_GEOCODING_URL,
        forecastUrl: this.env.FORECAST_URL || DEFAULT_FORECAST_URL,
        timeoutMs: Number(this.env.UPSTREAM_TIMEOUT_MS) || 10_000,
      });
      return text(200, `${report}\n`);
    } catch (error) {
      if (error instanceof WeatherError) return text(error.status, `${error.message}\n`);
      throw error;
    }
  }
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
}
