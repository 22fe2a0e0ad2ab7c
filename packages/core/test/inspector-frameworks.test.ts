// The inspector in the dev servers beyond Vite's own plugin (Astro, Next, webpack-dev-server,
// Rspack, Rsbuild, Nuxt): `/__captun/` on the local URL lists what came through the tunnel, its
// line sits under the public URL, and it answers 404 through the public URL in every spelling.
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import {
  configHome as astroConfigHome,
  copyApp as copyAstroApp,
  type RunningProcess,
  startAstroDev,
} from "../../../playgrounds/astro/test/_astro-harness.ts";
import { copyApp as copyNextApp, freePort, runNextDev } from "../../../playgrounds/next/test/_next-harness.ts";
import { copyApp as copyNuxtApp, runNuxtDev } from "../../../playgrounds/nuxt/test/_nuxt-harness.ts";
import {
  copyApp as copyRspackApp,
  PLAYGROUND as RSPACK_PLAYGROUND,
  runRsbuildDev,
  runRspackServe,
} from "../../../playgrounds/rspack/test/_rspack-harness.ts";
import { copyApp as copyWebpackApp, runWebpackServe } from "../../../playgrounds/webpack/test/_webpack-harness.ts";
import { createCapture } from "../src/capture.ts";
import { serveDevInspector } from "../src/inspector/dev.ts";
import type { RoutingMode } from "../src/routing.ts";
import { configHome } from "./_apps.ts";
import { endpointSpellings, expectBlocked } from "./_dev-endpoints.ts";
import { startTestServer, uniqueName, visit } from "./_harness.ts";

const SLOW = 120_000;
let running: RunningProcess | undefined;
afterEach(({ task }) => {
  if (task.result?.state === "fail") console.error(`dev server output:\n${running?.output().slice(-3000)}`);
});

interface Row {
  id: string;
  path: string;
  status: number | null;
  replayOf: string | null;
}

/**
 * A request through the public URL shows up in the local inspector and replays into the dev
 * server; the inspector is 404 through the public URL in every spelling.
 */
async function expectLocalOnlyInspector(inspectUrl: string, publicUrl: string, prefix: string) {
  await (await visit(`${publicUrl}?seen=1`)).arrayBuffer();
  const rows = async () => (await (await fetch(`${inspectUrl}api/requests`)).json()) as Row[];
  await expect.poll(async () => (await rows()).find((row) => row.path === "/?seen=1")?.status).toBe(200);
  const seen = (await rows()).find((row) => row.path === "/?seen=1")!;
  const replay = await fetch(`${inspectUrl}api/requests/${seen.id}/replay`, { method: "POST" });
  expect(replay.status).toBe(200);
  expect(await replay.json()).toMatchObject({ path: "/?seen=1", status: 200, replayOf: seen.id });
  expect(await (await fetch(inspectUrl)).text()).toContain("captun inspector");
  await expectBlocked(publicUrl, [
    ...endpointSpellings(prefix, "/__captun", "/"),
    ...endpointSpellings(prefix, "/__captun", "/api/requests"),
  ]);
}

/** The `Inspect` line comes right under the public URL and its exposure note, as in Vite's banner. */
function expectInspectUnderPublic(output: string) {
  const lines = output.split("\n");
  const publicLine = lines.findIndex((line) => /Public:\s+http/.test(line));
  expect(publicLine).toBeGreaterThan(-1);
  expect(lines[publicLine + 2]).toMatch(/Inspect:\s+http:\/\/\S+\/__captun\/$/);
}

/** A captun server and a config home pointing at it, publicly shared, under `routing`. */
async function sharedSetup(routing: RoutingMode) {
  const stack = new AsyncDisposableStack();
  const server = stack.use(await startTestServer({ routing }));
  const home = stack.use(
    await configHome({ serverUrl: server.url, secret: server.secret, routing, customHostname: server.customHostname }),
  );
  return { server, env: { XDG_CONFIG_HOME: home.dir, CAPTUN_ACCESS: "public" }, [Symbol.asyncDispose]: () => stack.disposeAsync() };
}

it("serveDevInspector mounts once per server in front of its own handler, and `inspect: false` takes it out", async () => {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.url ?? "");
    res.end("app");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  await using _ = { [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  const { port } = server.address() as AddressInfo;
  const capture = createCapture();

  expect(serveDevInspector(server, capture, {})).toBe(`http://127.0.0.1:${port}/__captun/`);
  // A restart (Nuxt) hands the same server over again: still one inspector in front, not two.
  expect(serveDevInspector(server, capture, { inspect: true, hostname: "localhost" })).toBe(`http://localhost:${port}/__captun/`);
  expect(server.listeners("request")).toHaveLength(1);
  expect(await (await fetch(`http://127.0.0.1:${port}/__captun/`)).text()).toContain("captun inspector");
  expect(await (await fetch(`http://127.0.0.1:${port}/page`)).text()).toBe("app");
  expect(seen).toEqual(["/page"]);

  expect(serveDevInspector(server, capture, { inspect: false })).toBeUndefined();
  expect(await (await fetch(`http://127.0.0.1:${port}/__captun/`)).text()).toBe("app");
});

it(
  "Astro: Inspect line after the banner, /__captun/ local only",
  async () => {
    await using home = await astroConfigHome();
    await using server = await startTestServer();
    await using app = await copyAstroApp();
    const name = uniqueName("astro-insp");
    const options = { name, serverUrl: server.url, secret: server.secret, customHostname: server.customHostname, qr: false };
    await using astro = startAstroDev(app.root, options, { XDG_CONFIG_HOME: home.dir, CAPTUN_ACCESS: "public" });
    running = astro;
    await astro.waitForOutput(/public URL \S+ is live/, SLOW);
    const [, inspectUrl = ""] = (await astro.waitForOutput(/Inspect (\S+)/, SLOW)) as string[];
    expect(inspectUrl).toMatch(/^http:\/\/localhost:\d+\/__captun\/$/);
    await expectLocalOnlyInspector(inspectUrl, `${server.tunnelUrl(name)}/`, "");
  },
  SLOW,
);

it(
  "Next: Inspect line under Public, /__captun/ local only (folder routing, basePath)",
  async () => {
    await using server = await startTestServer({ routing: "folder" });
    await using home = await configHome({ serverUrl: server.url, secret: server.secret, routing: "folder" });
    await using app = await copyNextApp();
    const port = await freePort();
    await using next = runNextDev(app.root, ["--port", String(port), "--hostname", "127.0.0.1"], {
      XDG_CONFIG_HOME: home.dir,
      CAPTUN_ACCESS: "public",
    });
    running = next;
    await next.waitForOutput(/captun: public URL \S+ is live/, SLOW);
    const [, publicUrl = ""] = (await next.waitForOutput(/- Public:\s+(\S+)/, SLOW)) as string[];
    const [, inspectUrl = ""] = (await next.waitForOutput(/- Inspect:\s+(\S+)/, SLOW)) as string[];
    expect(inspectUrl).toBe(`http://localhost:${port}/__captun/`);
    const url = publicUrl.endsWith("/") ? publicUrl : `${publicUrl}/`;
    await expectLocalOnlyInspector(inspectUrl, url, new URL(url).pathname.replace(/\/$/, ""));
  },
  SLOW,
);

it(
  "webpack-dev-server: Inspect line under Public, /__captun/ local only",
  async () => {
    await using setup = await sharedSetup("subdomain");
    await using app = await copyWebpackApp();
    await using webpack = runWebpackServe(app.root, ["--port", "0", "--host", "127.0.0.1"], setup.env);
    running = webpack;
    const [, publicUrl = ""] = (await webpack.waitForOutput(/\[captun\] Public: (\S+)/, SLOW)) as string[];
    const [, inspectUrl = ""] = (await webpack.waitForOutput(/\[captun\] Inspect: (\S+)/, SLOW)) as string[];
    await webpack.waitForOutput(/\[captun\] public URL \S+ is live/, SLOW);
    expectInspectUnderPublic(webpack.output());
    expect(inspectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/__captun\/$/);
    await expectLocalOnlyInspector(inspectUrl, publicUrl, "");
  },
  SLOW,
);

it(
  "Rspack dev server: Inspect line under Public, /__captun/ local only",
  async () => {
    await using setup = await sharedSetup("subdomain");
    await using app = await copyRspackApp();
    await using rspack = runRspackServe(app.root, ["--port", "0", "--host", "127.0.0.1"], setup.env);
    running = rspack;
    const [, publicUrl = ""] = (await rspack.waitForOutput(/\[captun\] Public: (\S+)/, SLOW)) as string[];
    const [, inspectUrl = ""] = (await rspack.waitForOutput(/\[captun\] Inspect: (\S+)/, SLOW)) as string[];
    await rspack.waitForOutput(/\[captun\] public URL \S+ is live/, SLOW);
    expectInspectUnderPublic(rspack.output());
    expect(inspectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/__captun\/$/);
    await expectLocalOnlyInspector(inspectUrl, publicUrl, "");
  },
  SLOW,
);

it(
  "Rsbuild: Inspect line under Public, /__captun/ local only (folder routing, at the root beside the folder base)",
  async () => {
    await using setup = await sharedSetup("folder");
    await using app = await copyRspackApp();
    await using rsbuild = runRsbuildDev(app.root, ["--port", "0"], setup.env);
    running = rsbuild;
    const [, publicUrl = ""] = (await rsbuild.waitForOutput(/➜\s+Public:\s+(\S+)/, SLOW)) as string[];
    const [, inspectUrl = ""] = (await rsbuild.waitForOutput(/➜\s+Inspect:\s+(\S+)/, SLOW)) as string[];
    await rsbuild.waitForOutput(/captun: public URL \S+ is live/, SLOW);
    expectInspectUnderPublic(rsbuild.output());
    expect(inspectUrl).toMatch(/^http:\/\/localhost:\d+\/__captun\/$/);
    await expectLocalOnlyInspector(inspectUrl, publicUrl, new URL(publicUrl).pathname.replace(/\/$/, ""));
  },
  SLOW,
);

/** With `captun({ inspect: false })`, no Inspect line and `/__captun/` is the dev server's own path. */
async function expectNoInspector(dev: RunningProcess, localUrl: string) {
  await dev.waitForOutput(/public URL \S+ is live/, SLOW);
  expect(dev.output()).not.toContain("Inspect:");
  const answer = await fetch(new URL("/__captun/api/requests", localUrl));
  expect(answer.headers.get("content-type") ?? "").not.toContain("application/json");
}

it(
  "Rspack dev server and Rsbuild with `inspect: false`: no Inspect line, nothing at /__captun/",
  async () => {
    await using setup = await sharedSetup("subdomain");
    const off = async (file: string) =>
      (await readFile(join(RSPACK_PLAYGROUND, file), "utf8")).replace("captun()", "captun({ inspect: false })");
    await using app = await copyRspackApp({
      "rspack.config.js": await off("rspack.config.js"),
      "rsbuild.config.js": await off("rsbuild.config.js"),
    });
    {
      await using rspack = runRspackServe(app.root, ["--port", "0", "--host", "127.0.0.1"], setup.env);
      running = rspack;
      const [, localUrl = ""] = (await rspack.waitForOutput(/➜\s+Local:\s+(\S+)/, SLOW)) as string[];
      await expectNoInspector(rspack, localUrl);
    }
    await using rsbuild = runRsbuildDev(app.root, ["--port", "0"], setup.env);
    running = rsbuild;
    const [, localUrl = ""] = (await rsbuild.waitForOutput(/➜\s+Local:\s+(\S+)/, SLOW)) as string[];
    await expectNoInspector(rsbuild, localUrl);
  },
  SLOW,
);

it(
  "Nuxt: Inspect line under Public, /__captun/ local only",
  async () => {
    await using setup = await sharedSetup("subdomain");
    await using app = await copyNuxtApp();
    await using nuxt = runNuxtDev(app.root, ["--port", "0", "--host", "127.0.0.1"], setup.env);
    running = nuxt;
    const [, publicUrl = ""] = (await nuxt.waitForOutput(/➜ Public:\s+(\S+)/, SLOW)) as string[];
    const [, inspectUrl = ""] = (await nuxt.waitForOutput(/➜ Inspect:\s+(\S+)/, SLOW)) as string[];
    await nuxt.waitForOutput(/captun: public URL \S+ is live/, SLOW);
    expectInspectUnderPublic(nuxt.output());
    expect(inspectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/__captun\/$/);
    await expectLocalOnlyInspector(inspectUrl, publicUrl, "");
  },
  SLOW,
);
