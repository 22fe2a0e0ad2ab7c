import { expect, it } from "vitest";
import { createCaptunTunnel, createOriginFetcher } from "../src/index.ts";
import { launchChromium } from "./_apps.ts";
import { startTestServer, uniqueName } from "./_harness.ts";
import { startWsOrigin } from "./_websocket-harness.ts";

// The page opens a WebSocket to its own origin — the tunnel's public URL — and reports what came back.
const PAGE = `<!doctype html><meta charset="utf-8"><title>ws</title><script>
window.result = new Promise((resolve, reject) => {
  const socket = new WebSocket(location.origin.replace(/^http/, "ws") + "/live", ["demo"]);
  socket.binaryType = "arraybuffer";
  const got = [];
  socket.onopen = () => { socket.send("hello from the page"); socket.send(new Uint8Array([1, 2, 3])); };
  socket.onmessage = (event) => {
    got.push(typeof event.data === "string" ? event.data : Array.from(new Uint8Array(event.data)));
    if (got.length === 2) socket.close(4100, "page done");
  };
  socket.onclose = (event) => resolve({ protocol: socket.protocol, got, code: event.code });
  socket.onerror = () => reject(new Error("websocket error"));
});
</script>`;

it("lets a page served through the tunnel talk to its origin over a WebSocket in Chromium", async () => {
  await using server = await startTestServer();
  await using origin = await startWsOrigin({ page: PAGE });
  const fetcher = createOriginFetcher(origin.url);
  await using tunnel = await createCaptunTunnel({ url: server.tunnelUrl(uniqueName("page")), secret: server.secret, fetch: fetcher });
  await using browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(tunnel.url);
    const result = await page.evaluate(() => (window as unknown as { result: Promise<unknown> }).result);
    expect(result).toEqual({ protocol: "demo", got: ["hello from the page", [1, 2, 3]], code: 4100 });
    expect(origin.upgrades[0]?.headers.origin).toBe(new URL(tunnel.url).origin);
  } finally {
    await fetcher.close();
  }
});
