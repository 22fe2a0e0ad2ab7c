// Heartbeats: a frozen client is dropped, and a dead server noticed, within 15 s, even when
// something keeps the TCP connection up for the dead side.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaptunTunnel, keepTunnelOpen, type TunnelEvent, tunnelUrlFor } from "../src/index.ts";
import { ERROR_HEADER } from "../src/protocol.ts";
import { startOrigin, startTestServer, type TestServer, uniqueName, visit } from "./_harness.ts";
import { startRelay } from "./_relay.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

describe("heartbeats", () => {
  it("drops a frozen client within 15 s; visitors then get 503 tunnel-offline at once", async () => {
    await using origin = await startOrigin((_req, res) => res.end("alive"));
    const child = spawn(
      process.execPath,
      [new URL("./fixtures/tunnel-client.ts", import.meta.url).pathname, server.tunnelUrl(uniqueName()), server.secret, origin.url],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
      const { url } = JSON.parse(line) as { url: string };
      expect(await (await visit(url)).text()).toBe("alive");
      // SIGSTOP: the process is frozen but its kernel keeps the TCP connection up, as for a laptop
      // that went to sleep behind a NAT that has not noticed yet.
      child.kill("SIGSTOP");
      const frozenAt = Date.now();
      const stuck = visit(`${url}/stuck`).then((r) => r.status);
      // POST: never held for a returning client, so each poll answers at once.
      await expect.poll(async () => (await visit(url, { method: "POST" })).status, { timeout: 15_000, interval: 250 }).toBe(503);
      const detectedMs = Date.now() - frozenAt;
      expect(detectedMs).toBeLessThan(15_000);
      // A request caught on the frozen client ends with an error status, not a hang.
      expect(await stuck).toBe(502);
      // A client dropped for silence is not waited for: GETs are answered at once too.
      const started = Date.now();
      const after = await visit(url);
      expect(after.status).toBe(503);
      expect(after.headers.get(ERROR_HEADER)).toBe("tunnel-offline");
      expect(Date.now() - started).toBeLessThan(2_000);
      console.info(`frozen client dropped after ${detectedMs} ms`);
    } finally {
      child.kill("SIGKILL");
      child.kill("SIGCONT");
    }
  });

  it("notices a server that stopped answering within 15 s and reconnects", async () => {
    await using relay = await startRelay(server.url);
    const name = uniqueName();
    const events: TunnelEvent[] = [];
    await using tunnel = keepTunnelOpen({
      url: tunnelUrlFor(relay.url, name, server.customHostname),
      secret: server.secret,
      fetch: () => new Response("through the relay"),
      onEvent: (event) => events.push(event),
      minDelayMs: 50,
    });
    await tunnel.ready;
    expect(await (await visit(server.tunnelUrl(name))).text()).toBe("through the relay");
    // The relay keeps both TCP connections open but forwards nothing: only an answer from the
    // Worker itself can tell the client its server is alive.
    relay.blackhole();
    const cutAt = Date.now();
    await expect.poll(() => events.some((e) => e.type === "disconnected"), { timeout: 15_000, interval: 100 }).toBe(true);
    const detectedMs = Date.now() - cutAt;
    expect(detectedMs).toBeLessThan(15_000);
    await expect.poll(() => events.filter((e) => e.type === "connected").length, { timeout: 10_000, interval: 100 }).toBe(2);
    expect(relay.connections).toBe(2);
    expect(await (await visit(server.tunnelUrl(name))).text()).toBe("through the relay");
    console.info(`dead server noticed after ${detectedMs} ms`);
  });

  it("keeps a quiet session up: answered pings count as life", async () => {
    await using tunnel = await createCaptunTunnel({
      url: server.tunnelUrl(uniqueName()),
      secret: server.secret,
      fetch: () => new Response("ok"),
      heartbeatMs: 200,
    });
    // Many intervals of silence answered by pings: the session must survive them.
    const quietUntil = Date.now() + 1_500;
    await expect.poll(() => Date.now() > quietUntil, { timeout: 3_000, interval: 100 }).toBe(true);
    expect(await (await visit(tunnel.url)).text()).toBe("ok");
  });
});
