import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateTunnelName } from "../src/cli/names.ts";
import { parseOriginTarget } from "../src/cli/target.ts";
import { configPath, maskSecret } from "../src/config.ts";
import { keepTunnelOpen, readConfig, resolveServerSettings, type TunnelEvent, updateConfig } from "../src/index.ts";
import { startTestServer, uniqueName, visit, waitFor } from "./_harness.ts";

async function tempDir() {
  const path = await mkdtemp(join(tmpdir(), "captun-config-"));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

describe("config file", () => {
  it("lives under $XDG_CONFIG_HOME, defaulting to ~/.config", () => {
    expect(configPath({ XDG_CONFIG_HOME: "/x" })).toBe("/x/captun/config.json");
    expect(configPath({ HOME: process.env.HOME })).toMatch(/\.config\/captun\/config\.json$/);
  });

  it("merges updates, writes mode 0600 in a 0700 directory, and reads back", async () => {
    await using dir = await tempDir();
    const file = join(dir.path, "captun", "config.json");
    expect(await readConfig(file)).toEqual({});
    await updateConfig({ serverUrl: "https://a.example", secret: "s1" }, file);
    await updateConfig({ projects: { "/p": "name-1" } }, file);
    expect(await readConfig(file)).toEqual({ serverUrl: "https://a.example", secret: "s1", projects: { "/p": "name-1" } });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir.path, "captun"))).mode & 0o777).toBe(0o700);
  });

  it("survives concurrent updates from one process without a leftover temp file clash", async () => {
    await using dir = await tempDir();
    const file = join(dir.path, "config.json");
    await Promise.all([updateConfig({ secret: "a" }, file), updateConfig({ secret: "b" }, file)]);
    expect(["a", "b"]).toContain((await readConfig(file)).secret);
  });

  it("rejects a corrupt file with advice", async () => {
    await using dir = await tempDir();
    const file = join(dir.path, "config.json");
    await writeFile(file, "[1,2");
    await expect(readConfig(file)).rejects.toThrow(/not a JSON object\. Fix or delete it/);
    await writeFile(file, "null");
    await expect(readConfig(file)).rejects.toThrow(/not a JSON object/);
  });

  it("masks secrets", () => {
    expect(maskSecret("abcdefghijklmnop")).toBe("abcd…op");
    expect(maskSecret("short")).toBe("••••");
  });
});

describe("which server a client uses", () => {
  const config = {
    serverUrl: "https://captun.me.workers.dev",
    secret: "deployed",
    routing: "folder" as const,
    local: { serverUrl: "http://localhost:8787", secret: "local", customHostname: "localhost" },
  };

  it("prefers flags, then env, then the deployed server, then the local one", () => {
    expect(resolveServerSettings(config, { serverUrl: "https://other.example", secret: "x" }, {})).toMatchObject({
      serverUrl: "https://other.example",
      secret: "x",
      source: "flags",
    });
    expect(resolveServerSettings(config, {}, { CAPTUN_SERVER_URL: "https://env.example", CAPTUN_SECRET: "e" })).toMatchObject({
      serverUrl: "https://env.example",
      secret: "e",
      source: "env",
    });
    expect(resolveServerSettings(config, {}, {})).toMatchObject({
      serverUrl: config.serverUrl,
      secret: "deployed",
      customHostname: undefined,
    });
    expect(resolveServerSettings({ local: config.local }, {}, {})).toMatchObject({
      secret: "local",
      customHostname: "localhost",
      source: "local",
    });
    expect(resolveServerSettings({}, {}, {})).toBeUndefined();
  });

  it("reuses a saved secret and routing for a known --server-url, and reads *.host as subdomain routing", () => {
    expect(resolveServerSettings(config, { serverUrl: "http://localhost:8787/" }, {})).toMatchObject({
      secret: "local",
      customHostname: "localhost",
    });
    expect(resolveServerSettings({}, { serverUrl: "https://*.tunnels.example.com" }, {})).toMatchObject({
      serverUrl: "https://tunnels.example.com",
      customHostname: "tunnels.example.com",
      secret: undefined,
    });
    expect(() => resolveServerSettings({}, { serverUrl: "ftp://x" }, {})).toThrow(/not a captun server URL/);
  });
});

describe("CLI arguments", () => {
  it("turns ports and host:port into http://localhost URLs and rejects other schemes", () => {
    expect(parseOriginTarget("3000").href).toBe("http://localhost:3000/");
    expect(parseOriginTarget("127.0.0.1:8080").href).toBe("http://127.0.0.1:8080/");
    expect(parseOriginTarget("https://localhost:5173/app").href).toBe("https://localhost:5173/app");
    expect(() => parseOriginTarget("70000")).toThrow(/not a port/);
    expect(() => parseOriginTarget("ftp://x")).toThrow(/http:\/\/ or https:\/\//);
  });

  it("generates DNS-label names with 80 random bits", () => {
    const names = new Set(Array.from({ length: 200 }, generateTunnelName));
    expect(names.size).toBe(200);
    for (const name of names) expect(name).toMatch(/^[a-z2-7]{16}$/);
  });
});

describe("keepTunnelOpen", () => {
  it("stops for good when replaced by a newer client, and refuses a wrong secret without retrying", async () => {
    await using server = await startTestServer();
    const name = uniqueName("kept");
    const events: TunnelEvent["type"][] = [];
    await using first = keepTunnelOpen({
      url: server.tunnelUrl(name),
      secret: server.secret,
      fetch: () => new Response("first"),
      onEvent: (event) => events.push(event.type),
    });
    await first.ready;
    await using second = keepTunnelOpen({ url: server.tunnelUrl(name), secret: server.secret, fetch: () => new Response("second") });
    await second.ready;
    await first.stopped;
    expect(events).toEqual(["connected", "replaced", "closed"]);
    await waitFor(async () => (await (await visit(server.tunnelUrl(name))).text()) === "second", 5_000, "the second client to answer");

    const refused: TunnelEvent["type"][] = [];
    await using wrong = keepTunnelOpen({
      url: server.tunnelUrl(uniqueName("wrong")),
      secret: "wrong",
      fetch: () => new Response("never"),
      onEvent: (event) => refused.push(event.type),
    });
    await expect(wrong.ready).rejects.toThrow(/401/);
    await wrong.stopped;
    expect(refused).toEqual(["unauthorized", "closed"]);
  });

  it("retries with growing, jittered delays while the server is unreachable, and close() stops it", async () => {
    const delays: number[] = [];
    const kept = keepTunnelOpen({
      url: "http://127.0.0.1:9/t",
      fetch: () => new Response(""),
      minDelayMs: 20,
      maxDelayMs: 80,
      onEvent: (event) => {
        if (event.type === "retrying") delays.push(event.delayMs);
      },
    });
    await waitFor(() => delays.length >= 5, 10_000, "five retries");
    await kept.close();
    await expect(kept.ready).rejects.toThrow(/closed before it connected/);
    expect(delays[0]).toBeGreaterThanOrEqual(10);
    expect(delays[0]).toBeLessThanOrEqual(30);
    for (const delay of delays.slice(3)) expect(delay).toBeLessThanOrEqual(120);
    expect(Math.max(...delays.slice(2))).toBeGreaterThan(30);
  });
});
