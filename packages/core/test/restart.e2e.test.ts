// Restarts and short outages: a name whose client left moments ago keeps its visitors' GETs
// waiting for the successor; a newer client takes a live name over without dropping anything.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaptunTunnel } from "../src/index.ts";
import { ERROR_HEADER } from "../src/protocol.ts";
import { startOrigin, startTestServer, type TestServer, uniqueName, visit } from "./_harness.ts";
import { runCli, tempConfigHome } from "./fixtures/cli-process.ts";

let server: TestServer;
beforeAll(async () => {
  // Twice the default hold: a CLI restart on a loaded 2-core machine took up to 5 s here.
  server = await startTestServer({ vars: { RECONNECT_HOLD_MS: "20000" } });
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

describe("restarting `captun <port>`", () => {
  it("loses no GET in flight or arriving while the client is killed (SIGTERM) and started again", async () => {
    await using origin = await startOrigin((req, res) => {
      // Slow enough that requests are in flight when the signal lands.
      setTimeout(() => res.end(`answer ${req.url}`), 30);
    });
    await using home = await tempConfigHome();
    const name = uniqueName("restart");
    const serverUrl = server.url.replace("//localhost", "//*.localhost");
    const args = [origin.url, "--name", name, "--server-url", serverUrl, "--secret", server.secret];
    const env = { XDG_CONFIG_HOME: home.path };
    const first = runCli(args, env);
    const [, publicUrl] = await first.waitFor(/Public:\s+(\S+)/);

    const results: { id: number; status: number; body: string; ms: number }[] = [];
    let next = 0;
    let stop = false;
    const visitor = async () => {
      while (!stop && next < 2_000) {
        const id = next++;
        const sent = Date.now();
        const response = await visit(`${publicUrl}/${id}`);
        results.push({ id, status: response.status, body: await response.text(), ms: Date.now() - sent });
      }
    };
    const visitors = Array.from({ length: 4 }, visitor);
    await expect.poll(() => results.length, { timeout: 10_000 }).toBeGreaterThan(20);

    const stoppedAt = Date.now();
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    const countAtExit = results.length;
    await using second = runCli(args, env);
    await second.waitFor(/Public:\s+(\S+)/);
    const gapMs = Date.now() - stoppedAt;
    await expect.poll(() => results.length, { timeout: 10_000 }).toBeGreaterThan(countAtExit + 20);
    stop = true;
    await Promise.all(visitors);

    const failed = results.filter((r) => r.status !== 200 || r.body !== `answer /${r.id}`);
    expect(failed).toEqual([]);
    const slowest = Math.max(...results.map((r) => r.ms));
    console.info(`restart: ${results.length} GETs, ${failed.length} lost; no client for ${gapMs} ms, slowest GET ${slowest} ms`);
  });
});

describe("a client that left moments ago", () => {
  it("holds GETs until a client is back under the name, and answers others at once", async () => {
    const name = uniqueName();
    const first = await createCaptunTunnel({ url: server.tunnelUrl(name), secret: server.secret, fetch: () => new Response("first") });
    await first.close();

    const held = visit(`${server.tunnelUrl(name)}/page`);
    const started = Date.now();
    const post = await visit(`${server.tunnelUrl(name)}/`, { method: "POST", body: "x" });
    expect(post.status).toBe(503);
    expect(post.headers.get(ERROR_HEADER)).toBe("tunnel-offline");
    expect(post.headers.get("retry-after")).toBeTruthy();
    expect(Date.now() - started).toBeLessThan(2_000);

    await using _second = await createCaptunTunnel({
      url: server.tunnelUrl(name),
      secret: server.secret,
      fetch: () => new Response("back"),
    });
    const response = await held;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("back");
  });

  it("answers a name never seen at once, and a held one with 503 once the hold is over", async () => {
    await using quick = await startTestServer({ vars: { RECONNECT_HOLD_MS: "600" } });
    const started = Date.now();
    const unknown = await visit(quick.tunnelUrl(uniqueName()));
    expect(unknown.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(500);

    const name = uniqueName();
    const gone = await createCaptunTunnel({ url: quick.tunnelUrl(name), secret: quick.secret, fetch: () => new Response("x") });
    await gone.close();
    const leftAt = Date.now();
    const response = await visit(quick.tunnelUrl(name));
    expect(response.status).toBe(503);
    expect(response.headers.get(ERROR_HEADER)).toBe("tunnel-offline");
    expect(Date.now() - leftAt).toBeGreaterThanOrEqual(400);
  });

  it("shows a browser a reconnecting page that reloads itself (503, Retry-After)", async () => {
    const response = await visit(server.tunnelUrl(uniqueName()), { headers: { accept: "text/html,application/xhtml+xml" } });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBeTruthy();
    expect(response.headers.get(ERROR_HEADER)).toBe("tunnel-offline");
    expect(response.headers.get("content-type")).toContain("text/html");
    const page = await response.text();
    expect(page).toContain("Reconnecting");
    expect(page).toContain("location.reload()");
    expect(page).toMatch(/http-equiv="refresh"/);
  });
});

describe("a newer client taking over a live name", () => {
  it("lets the old session finish every request in flight, sends new ones to the new client, then closes the old one as replaced", async () => {
    const name = uniqueName();
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = 0;
    const old = await createCaptunTunnel({
      url: server.tunnelUrl(name),
      secret: server.secret,
      fetch: () => {
        started++;
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(new TextEncoder().encode("old "));
            await released;
            controller.enqueue(new TextEncoder().encode("done"));
            controller.close();
          },
        });
        return new Response(body);
      },
    });
    const inFlight = Array.from({ length: 5 }, (_, i) => visit(`${server.tunnelUrl(name)}/${i}`).then((r) => r.text()));
    await expect.poll(() => started).toBe(5);

    await using _newer = await createCaptunTunnel({ url: server.tunnelUrl(name), secret: server.secret, fetch: () => new Response("new") });
    expect(await (await visit(server.tunnelUrl(name))).text()).toBe("new");
    let oldClosed = false;
    void old.closed.then(() => {
      oldClosed = true;
    });
    // Still serving its own requests: not closed yet.
    expect(await (await visit(server.tunnelUrl(name))).text()).toBe("new");
    expect(oldClosed).toBe(false);

    release();
    expect(await Promise.all(inFlight)).toEqual(Array(5).fill("old done"));
    const closed = await old.closed;
    expect(closed.code).toBe(4001);
    expect(await (await visit(server.tunnelUrl(name))).text()).toBe("new");
  });
});
