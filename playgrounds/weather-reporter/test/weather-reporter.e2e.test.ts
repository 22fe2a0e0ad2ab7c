import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createCaptunTunnel, type Fetcher } from "captun";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWeatherReporter, type WeatherReporterWorker } from "./_worker.ts";

interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** A test's stand-in for Open-Meteo: records each request and answers with canned JSON. */
function cannedWeather(seen: SeenRequest[], place = { name: "Berlin", country: "Germany", temperature: 21.34 }): Fetcher {
  return (request) => {
    seen.push({ method: request.method, url: request.url, headers: Object.fromEntries(request.headers) });
    const { pathname } = new URL(request.url);
    if (pathname === "/v1/search") {
      return Response.json({ results: [{ name: place.name, country: place.country, latitude: 52.52, longitude: 13.41 }] });
    }
    if (pathname === "/v1/forecast") {
      return Response.json({ current_units: { temperature_2m: "°C" }, current: { temperature_2m: place.temperature } });
    }
    return new Response("not found", { status: 404 });
  };
}

/** Polls until `check` stops throwing, so a test waits for an event without sleeping blindly. */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe("with the real weather API's URLs, intercepted by a tunnel", () => {
  let worker: WeatherReporterWorker;
  beforeAll(async () => {
    worker = await startWeatherReporter();
  });
  afterAll(async () => {
    // The guard proves it: not one request left the machine.
    expect(worker?.blockedEgress).toEqual([]);
    await worker?.[Symbol.asyncDispose]();
  });

  const attach = (fetch: Fetcher) => createCaptunTunnel({ url: worker.egressTunnelUrl, secret: worker.secret, fetch });

  it("formats the canned answer, and the test sees exactly the requests the Worker made", async () => {
    const seen: SeenRequest[] = [];
    await using _tunnel = await attach(cannedWeather(seen));
    const response = await fetch(`${worker.url}/weather?city=Berlin`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("Berlin, Germany: 21.3 °C\n");

    expect(seen.map((r) => r.url)).toEqual([
      "https://geocoding-api.open-meteo.com/v1/search?name=Berlin&count=1&language=en&format=json",
      "https://api.open-meteo.com/v1/forecast?latitude=52.52&longitude=13.41&current=temperature_2m",
    ]);
    for (const request of seen) {
      expect(request.method).toBe("GET");
      expect(request.headers.accept).toBe("application/json");
      expect(request.headers["user-agent"]).toBe("captun-weather-reporter/0.1");
    }
  });

  it("answers 404 for a city the (canned) API does not know", async () => {
    await using _tunnel = await attach(() => Response.json({}));
    const response = await fetch(`${worker.url}/weather?city=Atlantis`);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('No city called "Atlantis" was found.\n');
  });

  it("refuses to attach without the egress secret, or with a wrong one", async () => {
    const fetch = cannedWeather([]);
    await expect(createCaptunTunnel({ url: worker.egressTunnelUrl, fetch })).rejects.toMatchObject({ name: "CaptunAuthError" });
    await expect(createCaptunTunnel({ url: worker.egressTunnelUrl, secret: "wrong", fetch })).rejects.toMatchObject({
      name: "CaptunAuthError",
    });
  });

  it("lets a second attachment take over and tells the first it was replaced", async () => {
    const first: SeenRequest[] = [];
    const second: SeenRequest[] = [];
    await using one = await attach(cannedWeather(first, { name: "Oslo", country: "Norway", temperature: -3 }));
    await using _two = await attach(cannedWeather(second, { name: "Lima", country: "Peru", temperature: 18 }));
    expect(await one.closed).toEqual({ code: 4001, reason: "replaced by a newer egress tunnel" });

    const response = await fetch(`${worker.url}/weather?city=Lima`);
    expect(await response.text()).toBe("Lima, Peru: 18.0 °C\n");
    expect(first).toEqual([]);
    expect(second).toHaveLength(2);
  });

  it("turns a throwing test handler into a clear 502 from the Worker, not a hang", async () => {
    await using _tunnel = await attach(() => {
      throw new Error("no canned answer for this request");
    });
    const response = await fetch(`${worker.url}/weather?city=Berlin`, { signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(502);
    expect(await response.text()).toBe(
      "Could not reach geocoding-api.open-meteo.com: the egress tunnel could not answer: no canned answer for this request\n",
    );
  });

  it("fails a call in flight with a 502 when the tunnel goes away, instead of waiting for the timeout", async () => {
    let tunnelGone: () => Promise<void> = async () => {};
    const tunnel = await attach(async () => {
      await tunnelGone();
      return new Promise<Response>(() => {});
    });
    tunnelGone = () => tunnel.close();
    // The Worker's own timeout is 10 s: an answer within 5 s means the disconnect failed the call.
    const response = await fetch(`${worker.url}/weather?city=Berlin`, { signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(502);
    expect(await response.text()).toMatch(/^Could not reach geocoding-api\.open-meteo\.com: the egress tunnel could not answer: .*closed/);
  });
});

describe("with its own configuration", () => {
  it("sends egress back to the network: here a loopback stand-in set through GEOCODING_URL / FORECAST_URL", async () => {
    const originSeen: string[] = [];
    const origin = createServer((req, res) => {
      originSeen.push(req.url ?? "");
      res.setHeader("content-type", "application/json");
      res.end(
        req.url?.startsWith("/v1/search")
          ? JSON.stringify({ results: [{ name: "Origin City", latitude: 1, longitude: 2 }] })
          : JSON.stringify({ current: { temperature_2m: 5 } }),
      );
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    await using _origin = { [Symbol.asyncDispose]: () => new Promise<void>((resolve) => origin.close(() => resolve())) };
    const base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    await using worker = await startWeatherReporter({ GEOCODING_URL: `${base}/v1/search`, FORECAST_URL: `${base}/v1/forecast` });

    const tunnel = await createCaptunTunnel({ url: worker.egressTunnelUrl, secret: worker.secret, fetch: cannedWeather([]) });
    expect(await (await fetch(`${worker.url}/weather?city=Berlin`)).text()).toBe("Berlin, Germany: 21.3 °C\n");
    expect(originSeen).toEqual([]);

    await tunnel.close();
    const text = await eventually(async () => {
      const response = await fetch(`${worker.url}/weather?city=Berlin`);
      const body = await response.text();
      if (response.status !== 200) throw new Error(`still detaching: ${response.status} ${body}`);
      return body;
    });
    expect(text).toBe("Origin City: 5.0 °C\n");
    expect(originSeen).toContain("/v1/search?name=Berlin&count=1&language=en&format=json");
    expect(worker.blockedEgress).toEqual([]);
  });

  it("answers 504 when the test's handler never answers, after UPSTREAM_TIMEOUT_MS", async () => {
    await using worker = await startWeatherReporter({ UPSTREAM_TIMEOUT_MS: "300" });
    await using _tunnel = await createCaptunTunnel({
      url: worker.egressTunnelUrl,
      secret: worker.secret,
      fetch: () => new Promise<Response>(() => {}),
    });
    const response = await fetch(`${worker.url}/weather?city=Berlin`, { signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(504);
    expect(await response.text()).toBe("geocoding-api.open-meteo.com did not answer within 0.3 s.\n");
  });

  it("has no interception path at all when EGRESS_SECRET is unset", async () => {
    await using worker = await startWeatherReporter({ EGRESS_SECRET: "" });
    await expect(createCaptunTunnel({ url: worker.egressTunnelUrl, fetch: cannedWeather([]) })).rejects.toMatchObject({
      name: "CaptunConnectError",
      status: 404,
    });
  });

  it("without a tunnel, the default configuration calls the public API (refused here by the test guard)", async () => {
    await using worker = await startWeatherReporter();
    const response = await fetch(`${worker.url}/weather?city=Berlin`);
    expect(response.status).toBe(502);
    expect(worker.blockedEgress).toEqual(["https://geocoding-api.open-meteo.com/v1/search?name=Berlin&count=1&language=en&format=json"]);
  });
});
