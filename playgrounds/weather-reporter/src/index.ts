// The weather reporter Worker. Everything goes to one WeatherReporter Durable Object, so the
// tunnel a test attaches and the requests it should intercept meet in the same instance.
import type { Env } from "./env.ts";

export { WeatherReporter } from "./weather-reporter.ts";

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return env.WEATHER_REPORTER.get(env.WEATHER_REPORTER.idFromName("weather-reporter")).fetch(request);
  },
} satisfies ExportedHandler<Env>;
