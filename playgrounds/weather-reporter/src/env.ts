import type { WeatherReporter } from "./weather-reporter.ts";

export interface Env {
  WEATHER_REPORTER: DurableObjectNamespace<WeatherReporter>;
  /**
   * Bearer secret a test must present to attach an egress tunnel. Leave it unset in production:
   * without it the interception path answers 404 and nobody can take over the Worker's egress.
   * @default undefined (interception off)
   */
  EGRESS_SECRET?: string;
  /** Open-Meteo's geocoding endpoint, or a stand-in. @default "https://geocoding-api.open-meteo.com/v1/search" */
  GEOCODING_URL?: string;
  /** Open-Meteo's forecast endpoint, or a stand-in. @default "https://api.open-meteo.com/v1/forecast" */
  FORECAST_URL?: string;
  /** How long one call to the weather service may take before the visitor gets a 504, in ms. @default "10000" */
  UPSTREAM_TIMEOUT_MS?: string;
}
