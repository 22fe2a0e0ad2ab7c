// A process holding a tunnel that stops running for longer than the server's silence limit (a
// debugger breakpoint, a long synchronous compile): the server drops it, and when the process runs
// again it must hear why (code 4002, not a broken connection of its own making), say so, and
// serve again under the same name.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TunnelEvent } from "../src/index.ts";
import { ERROR_HEADER } from "../src/protocol.ts";
import { startOrigin, startTestServer, type TestServer, uniqueName, visit } from "./_harness.ts";
import { runCli, tempConfigHome } from "./fixtures/cli-process.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ routing: "folder" });
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

/**
 * Stops `child` until the server has dropped its tunnel (a POST is answered 503 at once, never
 * held), then lets it run again. Returns what a request caught on it meanwhile was answered.
 */
async function pauseUntilDropped(child: ChildProcess, url: string): Promise<string> {
  child.kill("SIGSTOP");
  try {
    const stuck = visit(`${url}/stuck`).then((response) => `${response.status} ${response.headers.get(ERROR_HEADER)}`);
    await expect.poll(async () => (await visit(url, { method: "POST" })).status, { timeout: 20_000, interval: 250 }).toBe(503);
    return await stuck;
  } finally {
    child.kill("SIGCONT");
  }
}

describe.concurrent("a tunnel's process paused past the silence limit", () => {
  it("library: the client hears it was dropped for silence (4002) and reconnects under the same name", async () => {
    const url = server.tunnelUrl(uniqueName("paused"));
    const child = spawn(process.execPath, [new URL("./fixtures/kept-tunnel-client.ts", import.meta.url).pathname, url, server.secret], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const events: TunnelEvent[] = [];
      createInterface({ input: child.stdout! }).on("line", (line) => events.push(JSON.parse(line) as TunnelEvent));
      await expect.poll(() => events.some((event) => event.type === "connected"), { timeout: 20_000 }).toBe(true);
      expect(await (await visit(url)).text()).toBe("alive");

      // Not "origin-error": the origin did nothing wrong, the client went away.
      expect(await pauseUntilDropped(child, url)).toBe("502 tunnel-dropped");
      await expect.poll(() => events.filter((event) => event.type === "connected").length, { timeout: 10_000 }).toBe(2);
      // Its own heartbeat, late after the pause, must not cut the connection before the server's close is read.
      expect(events.find((event) => event.type === "disconnected")).toEqual({
        type: "disconnected",
        code: 4002,
        reason: "no heartbeat from the client",
      });
      expect(await (await visit(url)).text()).toBe("alive");
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("`captun <port>`: says the server heard nothing from the process, and serves again", async () => {
    await using home = await tempConfigHome();
    await using origin = await startOrigin((_req, res) => res.end("alive"));
    const name = uniqueName("paused");
    await using cli = runCli([origin.url, "--name", name, "--server-url", server.url, "--secret", server.secret, "--no-qr"], {
      XDG_CONFIG_HOME: home.path,
    });
    const [, url = ""] = await cli.waitFor(/Public:\s+(\S+)/);
    expect(await (await visit(url)).text()).toBe("alive");

    expect(await pauseUntilDropped(cli.child, url)).toBe("502 tunnel-dropped");
    await cli.waitFor(/Connection to the captun server lost \(the captun server heard nothing from this process for 8 s .*breakpoint/);
    await cli.waitFor(/Reconnected/);
    expect(await (await visit(url)).text()).toBe("alive");
  });
});
