import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import type { NextConfig } from "next";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CaptunConfig } from "../../core/src/config.ts";
import { startTestServer, visit, waitFor } from "../../core/test/_harness.ts";
import { withCaptun } from "../src/index.ts";

const DEV = "phase-development-server";
const context = { defaultConfig: {} as NextConfig };
const STATE = Symbol.for("captun.next.process-state");

async function savedConfig(config: CaptunConfig): Promise<{ configPath: string } & AsyncDisposable> {
  const dir = await mkdtemp(join(tmpdir(), "captun-next-unit-"));
  const configPath = join(dir, "config.json");
  await writeFile(configPath, JSON.stringify(config));
  return { configPath, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

afterEach(async () => {
  // Each test is its own "process": drop the tunnel and settings a previous one left.
  const holder = globalThis as { [STATE]?: { tunnel?: AsyncDisposable } };
  await holder[STATE]?.tunnel?.[Symbol.asyncDispose]();
  delete holder[STATE];
  delete process.env.PORT;
});

describe("withCaptun", () => {
  it("returns the config untouched outside `next dev` and with enabled: false", async () => {
    const config: NextConfig = { basePath: "/docs", allowedDevOrigins: ["lan.example"] };
    expect(await withCaptun(config)("phase-production-build", context)).toBe(config);
    expect(await withCaptun(config)("phase-production-server", context)).toBe(config);
    expect(await withCaptun(config, { enabled: false })(DEV, context)).toBe(config);
  });

  it("calls a config function with Next's phase and context, and patches its result in `next dev`", async () => {
    await using saved = await savedConfig({});
    const seen: string[] = [];
    const wrapped = withCaptun(
      (phase, ctx) => {
        seen.push(phase);
        expect(ctx).toBe(context);
        return { reactStrictMode: true, experimental: { serverActions: { bodySizeLimit: "2mb", allowedOrigins: ["app.example"] } } };
      },
      { serverUrl: "https://captun.example.workers.dev", secret: "s", name: "my-app", configPath: saved.configPath },
    );
    const patched = await wrapped(DEV, context);
    expect(seen).toEqual([DEV]);
    expect(patched).toMatchObject({
      reactStrictMode: true,
      basePath: "/my-app",
      allowedDevOrigins: ["captun.example.workers.dev"],
      experimental: { serverActions: { bodySizeLimit: "2mb", allowedOrigins: ["app.example", "captun.example.workers.dev"] } },
    });
  });

  it("under subdomain routing runs at / and allows only the exact public host (with its port for Server Actions)", async () => {
    await using saved = await savedConfig({});
    const config: NextConfig = { basePath: "/docs", allowedDevOrigins: ["lan.example"] };
    const patched = await withCaptun(config, {
      serverUrl: "http://localhost:8787",
      customHostname: "localhost",
      name: "my-app",
      configPath: saved.configPath,
    })(DEV, context);
    expect(patched.basePath).toBe("/docs");
    expect(patched.allowedDevOrigins).toEqual(["lan.example", "my-app.localhost"]);
    expect(patched.experimental?.serverActions?.allowedOrigins).toEqual(["my-app.localhost:8787"]);
    expect(config.allowedDevOrigins).toEqual(["lan.example"]);
  });

  it("puts the folder prefix in front of the user's basePath and a path-only assetPrefix", async () => {
    await using saved = await savedConfig({});
    const options = { serverUrl: "https://captun.example.workers.dev", name: "my-app", configPath: saved.configPath };
    const patched = await withCaptun({ basePath: "/docs", assetPrefix: "/static" }, options)(DEV, context);
    expect(patched).toMatchObject({ basePath: "/my-app/docs", assetPrefix: "/my-app/static" });
    const cdn = await withCaptun({ assetPrefix: "https://cdn.example" }, options)(DEV, context);
    expect(cdn).toMatchObject({ basePath: "/my-app", assetPrefix: "https://cdn.example" });
  });

  it("without a captun server, leaves the config untouched and says once, from the serving process, what to do", async () => {
    await using saved = await savedConfig({});
    const devServer = createServer();
    await new Promise<void>((resolve) => devServer.listen(0, "127.0.0.1", resolve));
    await using _closeDevServer = { [Symbol.asyncDispose]: () => new Promise<void>((resolve) => devServer.close(() => resolve())) };
    process.env.PORT = String((devServer.address() as AddressInfo).port);
    const printed: string[] = [];
    // Colours are on under CI=true (picocolors): compare the text only.
    const record = (line: string) => printed.push(stripVTControlCharacters(line));
    const log = vi.spyOn(console, "log").mockImplementation(record);
    const warn = vi.spyOn(console, "warn").mockImplementation(record);
    try {
      const config: NextConfig = { reactStrictMode: true };
      const wrapped = withCaptun(config, { configPath: saved.configPath });
      const env = { ...process.env };
      delete process.env.CAPTUN_SERVER_URL;
      try {
        expect(await wrapped(DEV, context)).toBe(config);
        expect(await wrapped(DEV, context)).toBe(config);
      } finally {
        Object.assign(process.env, env);
      }
    } finally {
      log.mockRestore();
      warn.mockRestore();
    }
    expect(printed.join("\n")).toMatch(/- Public:\s+not shared/);
    expect(printed.filter((line) => line.includes("No captun server is configured. Run `npx captun server`"))).toHaveLength(1);
  });

  it("opens no tunnel in a process that serves nothing on PORT (a build worker)", async () => {
    await using saved = await savedConfig({});
    process.env.PORT = "1";
    await withCaptun({}, { serverUrl: "http://localhost:8787", name: "worker", configPath: saved.configPath })(DEV, context);
    expect((globalThis as { [STATE]?: { tunnel?: unknown } })[STATE]?.tunnel).toBeUndefined();
  });

  it("in the serving process opens exactly one tunnel into the server on PORT, however often the config loads", async () => {
    await using server = await startTestServer();
    await using saved = await savedConfig({ serverUrl: server.url, secret: server.secret, customHostname: server.customHostname });
    const devServer = createServer((req, res) => res.end(`dev server saw ${req.url} for ${req.headers.host}`));
    await new Promise<void>((resolve) => devServer.listen(0, "127.0.0.1", resolve));
    await using _closeDevServer = { [Symbol.asyncDispose]: () => new Promise<void>((resolve) => devServer.close(() => resolve())) };
    process.env.PORT = String((devServer.address() as AddressInfo).port);
    const connections: unknown[] = [];
    devServer.on("connection", (socket) => connections.push(socket));

    const wrapped = withCaptun({}, { name: "one-tunnel", configPath: saved.configPath, access: "public" });
    await Promise.all([wrapped(DEV, context), wrapped(DEV, context), withCaptun({}, { configPath: saved.configPath })(DEV, context)]);
    const state = (globalThis as { [STATE]?: { tunnel?: { settings: { tunnelUrl: string } } } })[STATE];
    expect(state?.tunnel?.settings.tunnelUrl).toBe(server.tunnelUrl("one-tunnel"));

    const url = `${server.tunnelUrl("one-tunnel")}/hello`;
    let body = "";
    await waitFor(
      async () => {
        const response = await visit(url);
        body = await response.text();
        return response.status === 200;
      },
      15_000,
      "the tunnel to answer",
    );
    expect(body).toBe(`dev server saw /hello for ${new URL(server.tunnelUrl("one-tunnel")).host}`);
    // The request came in as an injected connection: no TCP socket has a remote port.
    expect(connections.length).toBeGreaterThan(0);
    expect(connections.every((socket) => (socket as { remotePort?: number }).remotePort === 0)).toBe(true);
  });
});
