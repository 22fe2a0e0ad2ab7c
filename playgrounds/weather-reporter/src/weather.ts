import type { Fetcher } from "captun";

export const DEFAULT_GEOCODING_URL = "https://geocoding-api.open-meteo.com/v1/search";
export const DEFAULT_FORECAST_URL = "https://api.open-meteo.com/v1/forecast";

/** Sent with every call so the weather service (or a test) can tell who is asking. */
export const USER_AGENT = "captun-weather-reporter/0.1";

export interface WeatherSources {
  fetch: Fetcher;
  geocodingUrl: string;
  forecastUrl: string;
  /** How long one call may take before the visitor gets a 504, in ms. */
  timeoutMs: number;
}

/** A failure worth showing the visitor as is, with the status to answer with. */
export class WeatherError extends Error {
  override name = "WeatherError";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

interface GeocodingAnswer {
  results?: { name: string; country?: string; latitude: number; longitude: number }[];
}

interface ForecastAnswer {
  current?: { temperature_2m?: number };
  current_units?: { temperature_2m?: string };
}

/** Looks the city up, fetches its current temperature and returns one line of text. */
export async function reportWeather(city: string, sources: WeatherSources): Promise<string> {
  const geocoding = new URL(sources.geocodingUrl);
  geocoding.search = new URLSearchParams({ name: city, count: "1", language: "en", format: "json" }).toString();
  const place = (await getJson<GeocodingAnswer>(geocoding, sources)).results?.[0];
  if (!place) throw new WeatherError(404, `No city called "${city}" was found.`);

  const forecast = new URL(sources.forecastUrl);
  forecast.search = new URLSearchParams({
    latitude: String(place.latitude),
    longitude: String(place.longitude),
    current: "temperature_2m",
  }).toString();
  const answer = await getJson<ForecastAnswer>(forecast, sources);
  const temperature = answer.current?.temperature_2m;
  if (typeof temperature !== "number") throw new WeatherError(502, "The weather service sent no current temperature.");
  return formatReport(place.name, place.country, temperature, answer.current_units?.temperature_2m ?? "°C");
}

export function formatReport(city: string, country: string | undefined, temperature: number, unit: string): string {
  return `${country ? `${city}, ${country}` : city}: ${temperature.toFixed(1)} ${unit}`;
}

async function getJson<T>(url: URL, { fetch, timeoutMs }: WeatherSources): Promise<T> {
  const request = new Request(url, {
    headers: { accept: "application/json", "user-agent": USER_AGENT },
    signal: AbortSignal.timeout(timeoutMs),
  });
  let response: Response;
  try {
    response = await fetch(request);
  } catch (error) {
    if (request.signal.aborted) throw new WeatherError(504, `${url.host} did not answer within ${timeoutMs / 1000} s.`);
    throw new WeatherError(502, `Could not reach ${url.host}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new WeatherError(502, `${url.host} answered ${response.status}.`);
  }
  try {
    return (await response.json()) as T;
  } catch {
    throw new WeatherError(502, `${url.host} sent something that is not JSON.`);
  }
}
