import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { ERROR_HEADER } from "../src/protocol.ts";
import { uniqueName, visit } from "./_harness.ts";
import { closed, openVisitor } from "./_websocket-harness.ts";
import { type CliProcess, runCli, tempConfigHome } from "./fixtures/cli-process.ts";

const execFileAsync = promisify(execFile);

/** `captun server --port <port>` with its own config; resolves once it listens. */
async function startCliServer(configHome: string, port = 0) {
  const server = runCli(["server", "--port", String(port)], { XDG_CONFIG_HOME: configHome });
  const [, url, serverPort] = await server.waitFor(/Server:\s+(http:\/\/localhost:(\d+))/);
  return Object.assign(server, { url: url!, port: Number(serverPort) });
}

async function startTunnel(configHome: string, args: string[]): Promise<CliProcess & { publicUrl: string }> {
  const tunnel = runCli(args, { XDG_CONFIG_HOME: configHome });
  const [, publicUrl] = await tunnel.waitFor(/Public:\s+(\S+)/);
  return Object.assign(tunnel, { publicUrl: publicUrl! });
}

/** A node:http origin on `host`; `handler` may hold requests open. */
async function startOriginOn(host: string, handler: Parameters<typeof createServer>[1]) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return Object.assign(server, {
    port: (server.address() as AddressInfo).port,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
}

describe("captun server + captun <port>", () => {
  it("gives a public URL that curl and Node reach, for an origin on ::1, with the secret saved 0600 and never printed", async () => {
    await using home = await tempConfigHome();
    await using origin = await startOriginOn("::1", (req, res) => res.end(`hello from ${req.url} via ${req.headers["x-forwarded-host"]}`));
    await using server = await startCliServer(home.path);
    const name = uniqueName("cli");
    await using tunnel = await startTunnel(home.path, [String(origin.port), "--name", name]);
    expect(tunnel.publicUrl).toBe(`http://${name}.localhost:${server.port}`);

    const { stdout } = await execFileAsync("curl", ["-sS", "--max-time", "10", `${tunnel.publicUrl}/a/b?c=1`]);
    expect(stdout).toBe(`hello from /a/b?c=1 via ${name}.localhost:${server.port}`);
    const response = await visit(`${tunnel.publicUrl}/node`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("hello from /node");

    const configFile = join(home.path, "captun", "config.json");
    expect((await stat(configFile)).mode & 0o777).toBe(0o600);
    const { secret } = JSON.parse(await import("node:fs/promises").then((fs) => fs.readFile(configFile, "utf8"))).local;
    expect(secret.length).toBeGreaterThan(20);
    expect(server.output + tunnel.output).not.toContain(secret);
  });

  it("generates an unguessable name when --name is not given", async () => {
    await using home = await tempConfigHome();
    await using origin = await startOriginOn("127.0.0.1", (_req, res) => res.end("ok"));
    await using server = await startCliServer(home.path);
    await using tunnel = await startTunnel(home.path, [`127.0.0.1:${origin.port}`]);
    expect(tunnel.publicUrl).toMatch(new RegExp(`^http://[a-z2-7]{16}\\.localhost:${server.port}$`));
    expect(await (await visit(tunnel.publicUrl)).text()).toBe("ok");
  });

  it("comes back under the same name after the server restarts", async () => {
    await using home = await tempConfigHome();
    await using origin = await startOriginOn("127.0.0.1", (_req, res) => res.end("still here"));
    const first = await startCliServer(home.path);
    const name = uniqueName("restart");
    await using tunnel = await startTunnel(home.path, [String(origin.port), "--name", name]);
    expect(await (await visit(tunnel.publicUrl)).text()).toBe("still here");

    first.child.kill("SIGTERM");
    await first.exited;
    await tunnel.waitFor(/Connection to the captun server lost/);
    await using second = await startCliServer(home.path, first.port);
    await tunnel.waitFor(/Reconnected: (\S+)/, 30_000);
    const response = await visit(tunnel.publicUrl);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("still here");
    expect(second.port).toBe(first.port);
  });

  it("exits non-zero at once on a wrong secret instead of retrying", async () => {
    await using home = await tempConfigHome();
    await using server = await startCliServer(home.path);
    await using tunnel = runCli(["3000", "--secret", "not-the-secret"], { XDG_CONFIG_HOME: home.path });
    expect(await tunnel.exited).toBe(1);
    expect(tunnel.output).toMatch(/rejected the connect secret \(401\)/);
    expect(tunnel.output).not.toMatch(/next try/);
    expect(server.child.exitCode).toBeNull();
  });

  it("on SIGTERM stops taking requests (503), lets the in-flight one finish, and exits 0", async () => {
    await using home = await tempConfigHome();
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived!: () => void;
    const slowArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    await using origin = await startOriginOn("127.0.0.1", async (req, res) => {
      if (req.url !== "/slow") return res.end("fast");
      res.write("first half, ");
      arrived();
      await released;
      res.end("second half");
    });
    await using _server = await startCliServer(home.path);
    await using tunnel = await startTunnel(home.path, [String(origin.port), "--name", uniqueName("drain")]);
    const slow = visit(`${tunnel.publicUrl}/slow`);
    await slowArrived;

    tunnel.child.kill("SIGTERM");
    await tunnel.waitFor(/Stopping: waiting up to 10 s for 1 request/);
    // A POST: GETs would wait (up to 10 s) for a client to take the name over.
    const refused = await visit(`${tunnel.publicUrl}/new`, { method: "POST" });
    expect(refused.status).toBe(503);
    expect(refused.headers.get(ERROR_HEADER)).toBe("tunnel-offline");
    expect(tunnel.child.exitCode).toBeNull();

    release();
    const response = await slow;
    expect(await response.text()).toBe("first half, second half");
    expect(await tunnel.exited).toBe(0);
  });

  it("carries WebSockets; on SIGTERM refuses new upgrades, keeps open sockets while requests drain, then closes them with 1001", async () => {
    await using home = await tempConfigHome();
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived!: () => void;
    const slowArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    await using origin = await startOriginOn("127.0.0.1", async (_req, res) => {
      res.write("first half, ");
      arrived();
      await released;
      res.end("second half");
    });
    const wss = new WebSocketServer({ server: origin });
    const upgradePaths: (string | undefined)[] = [];
    wss.on("connection", (ws, req) => {
      upgradePaths.push(req.url);
      ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    await using _server = await startCliServer(home.path);
    await using tunnel = await startTunnel(home.path, [String(origin.port), "--name", uniqueName("ws"), "--grace", "30"]);

    await using socket = await openVisitor(`${tunnel.publicUrl}/echo`);
    socket.send("hello through captun <port>");
    expect((await socket.next()).data).toBe("hello through captun <port>");
    socket.send(Buffer.from([1, 2, 3]));
    expect(await socket.next()).toEqual({ data: Buffer.from([1, 2, 3]), binary: true });

    const slow = visit(`${tunnel.publicUrl}/slow`);
    await slowArrived;
    const socketClosed = closed(socket);
    tunnel.child.kill("SIGTERM");
    await tunnel.waitFor(/Stopping: waiting up to 30 s for 1 request/);
    // The client told the server it is leaving: a new upgrade never reaches it. The server holds it
    // (like any GET) for a client that may come back, then answers 503.
    const late = openVisitor(`${tunnel.publicUrl}/late`).catch((error: unknown) => error);
    socket.send("still open while requests drain");
    expect((await socket.next()).data).toBe("still open while requests drain");

    release();
    expect(await (await slow).text()).toBe("first half, second half");
    expect(await socketClosed).toEqual({ code: 1001, reason: "captun: the tunnel is shutting down" });
    expect(await tunnel.exited).toBe(0);
    expect(await late).toMatchObject({ status: 503 });
    expect(upgradePaths).not.toContain("/late");
    wss.close();
  });

  it("when --grace runs out, a response still streaming ends in an error the visitor sees, and the server says why", async () => {
    await using home = await tempConfigHome();
    let arrived!: () => void;
    const slowArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    await using origin = await startOriginOn("127.0.0.1", (_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("never finishes");
      arrived();
    });
    await using server = await startCliServer(home.path);
    await using tunnel = await startTunnel(home.path, [String(origin.port), "--name", uniqueName("grace"), "--grace", "1"]);
    const response = await visit(tunnel.publicUrl, { headers: { "accept-encoding": "identity" } });
    await slowArrived;
    const body = response.text().catch((error: Error) => error);
    tunnel.child.kill("SIGTERM");
    expect(await tunnel.exited).toBe(0);
    expect(await body).toBeInstanceOf(Error);
    await server.waitFor(/captun <port> stopped before this response ended \(--grace 1 s ran out\)/);
    expect(server.output).not.toMatch(/disposed without calling close/);
  });

  it("exits at once on a second signal, even with a request in flight", async () => {
    await using home = await tempConfigHome();
    let arrived!: () => void;
    const slowArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    await using origin = await startOriginOn("127.0.0.1", (_req, res) => {
      res.write("never finishes");
      arrived();
    });
    await using _server = await startCliServer(home.path);
    await using tunnel = await startTunnel(home.path, [String(origin.port), "--name", uniqueName("twice")]);
    const hanging = visit(tunnel.publicUrl)
      .then((response) => response.text())
      .catch((error: Error) => error);
    await slowArrived;
    tunnel.child.kill("SIGINT");
    await tunnel.waitFor(/Stopping/);
    tunnel.child.kill("SIGINT");
    expect(await tunnel.exited).toBe(130);
    await hanging;
  });
});

describe("captun <port> without a server", () => {
  it("says how to get a server when nothing is configured", async () => {
    await using home = await tempConfigHome();
    await using cli = runCli(["3000"], { XDG_CONFIG_HOME: home.path });
    expect(await cli.exited).toBe(2);
    expect(cli.output).toContain("npx captun deploy");
    expect(cli.output).toContain("npx captun server");
  });

  it("fails fast when the configured server is not running", async () => {
    await using home = await tempConfigHome();
    await using cli = runCli(["3000", "--server-url", "http://127.0.0.1:9", "--secret", "x"], { XDG_CONFIG_HOME: home.path });
    expect(await cli.exited).toBe(1);
    expect(cli.output).toMatch(/cannot reach the captun server at ws:\/\/127\.0\.0\.1:9/);
  });
});
