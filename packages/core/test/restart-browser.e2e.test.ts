// The "Reconnecting…" page a browser gets while no client serves a name: it must come back to the
// app by itself once a client connects, without anyone pressing reload.
import { describe, expect, it } from "vitest";
import { createCaptunTunnel } from "../src/index.ts";
import { launchChromium } from "./_apps.ts";
import { startTestServer, uniqueName } from "./_harness.ts";

describe("reconnecting page", () => {
  it("reloads itself into the app once a client is back under the name", async () => {
    await using server = await startTestServer();
    await using browser = await launchChromium();
    const page = await browser.newPage();
    const name = uniqueName();
    const response = await page.goto(server.tunnelUrl(name));
    expect(response?.status()).toBe(503);
    expect(await page.textContent("h1")).toBe("Reconnecting…");

    await using _tunnel = await createCaptunTunnel({
      url: server.tunnelUrl(name),
      secret: server.secret,
      fetch: () => new Response("<!doctype html><title>app</title><h1>The app is back</h1>", { headers: { "content-type": "text/html" } }),
    });
    await expect.poll(() => page.textContent("h1").catch(() => ""), { timeout: 10_000, interval: 200 }).toBe("The app is back");
  });
});
