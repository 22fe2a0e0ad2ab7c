// `vite preview` with `plugins: [captun()]`: one build (relative base, so it fits both routing
// modes), previewed under subdomain and folder routing. The preview is shared in-process like the
// dev server, private by default, with Vite's `preview.allowedHosts` holding exactly the public host,
// and the tunnel closes with the preview. Under folder routing a build whose files load from the
// host's root is refused, not shared half-broken.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoutingMode } from "../../../packages/core/src/routing.ts";
import {
  configHome,
  launchChromium,
  type RunningProcess,
  runNode,
  statusWithHost,
  watchedPage,
} from "../../../packages/core/test/_apps.ts";
import { startTestServer, type TestServer, visit } from "../../../packages/core/test/_harness.ts";
import { lineAfter, previewStarted, runToEnd, type StartedPreview } from "../../../packages/core/test/_preview.ts";

const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const VITE_BIN = join(PLAYGROUND, "node_modules/vite/bin/vite.js");

let browser: Awaited<ReturnType<typeof launchChromium>>;
let outDir: string;
beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), "captun-vite-preview-"));
  [browser] = await Promise.all([
    launchChromium(),
    runToEnd([VITE_BIN, "build", "--outDir", outDir, "--emptyOutDir", "--base", "./", "--logLevel", "warn"], PLAYGROUND),
  ]);
}, 90_000);
afterAll(async () => {
  await browser?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

function runPreview(home: string, base = "./"): RunningProcess {
  return runNode([VITE_BIN, "preview", "--outDir", outDir, "--base", base, "--port", "0"], PLAYGROUND, { XDG_CONFIG_HOME: home });
}

describe.each<RoutingMode>(["subdomain", "folder"])("vite preview under %s routing", (routing) => {
  let cleanup: AsyncDisposableStack;
  let server: TestServer;
  let home: string;
  let preview: RunningProcess;
  let started: StartedPreview;

  beforeAll(async () => {
    cleanup = new AsyncDisposableStack();
    server = cleanup.use(await startTestServer({ routing }));
    home = cleanup.use(
      await configHome({ serverUrl: server.url, secret: server.secret, routing, customHostname: server.customHostname }),
    ).dir;
    preview = cleanup.use(runPreview(home));
    started = await previewStarted(preview);
  }, 90_000);
  afterAll(async () => {
    await cleanup?.disposeAsync();
  });

  it("prints the owner's link right under Vite's preview URL, and no dev-server note", () => {
    expect(lineAfter(preview.output(), "Local:")).toContain(`Public:  ${started.printedUrl}`);
    expect(started.printedUrl).toMatch(/\?captun_share=v1\.[\w-]+\.[\w-]+$/);
    expect(lineAfter(preview.output(), "Public:")).toContain("the built app (no module source, no HMR in a preview)");
    expect(preview.output()).not.toContain("HMR messages");
  });

  it("renders the built app through the owner's link in Chromium, assets and all", async () => {
    // The playground's SSE endpoint is a dev-server middleware: a preview has none. (Chromium's
    // console line for that 404 names no URL; every failed response is reported with its URL anyway.)
    const devOnly = (problem: string) => problem.includes("api/time") || problem.startsWith("console: Failed to load resource");
    await using watched = await watchedPage(browser, { ignore: devOnly });
    const { page, problems } = watched;
    await page.goto(started.printedUrl);
    expect(page.url()).toBe(started.appUrl);
    await page.locator("#greeting").getByText("Hello from the captun playground").waitFor();
    expect(await page.locator("#logo").evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    // The built files, not Vite's dev modules.
    expect(await page.evaluate(() => [...document.scripts].map((script) => script.src).join(" "))).toMatch(/\/assets\/index-[\w-]+\.js/);
    expect(problems).toEqual([]);
  });

  it("refuses an anonymous visitor with 401 and not one byte of the build", async () => {
    for (const path of ["", "index.html", "assets/"]) {
      const response = await visit(started.appUrl + path);
      expect(response.status, path).toBe(401);
      expect(response.headers.get("x-captun-error")).toBe("access-required");
      expect(await response.text()).not.toMatch(/<script|captun Vite playground/);
    }
  });

  it("lets exactly the public host past Vite's preview host check", async () => {
    const publicHost = new URL(started.appUrl).host;
    expect(await statusWithHost(started.localUrl, "evil.example")).toBe(403);
    expect(await statusWithHost(started.localUrl, `${new URL(started.appUrl).hostname}.evil.example`)).toBe(403);
    expect(await statusWithHost(started.localUrl, publicHost)).toBe(200);
  });
});

describe("folder routing with a build that loads its files from the host's root", () => {
  it("shares nothing and says how to build for the folder", async () => {
    await using server = await startTestServer({ routing: "folder" });
    await using home = await configHome({ serverUrl: server.url, secret: server.secret, routing: "folder" });
    await using preview = runPreview(home.dir, "/");
    await preview.waitForOutput(/Public:\s+not shared/);
    await preview.waitForOutput(/base: "\.\/" \(relative URLs\), or base: "\/[a-z0-9-]+\/" with captun\(\{ name:/);
    expect(preview.output()).not.toContain("is live");
  });
});

it("closes the tunnel with the preview server", async () => {
  await using server = await startTestServer();
  await using home = await configHome({
    serverUrl: server.url,
    secret: server.secret,
    routing: "subdomain",
    customHostname: server.customHostname,
  });
  const preview = runNode([VITE_BIN, "preview", "--outDir", outDir, "--port", "0"], PLAYGROUND, {
    XDG_CONFIG_HOME: home.dir,
    CAPTUN_ACCESS: "public",
  });
  await using _ = preview;
  const { appUrl } = await previewStarted(preview);
  // Not GET: a GET for a name whose client just left is held for a while in case it comes back.
  expect((await visit(appUrl, { method: "POST" })).headers.get("x-captun-error")).toBeNull();
  preview.child.kill("SIGTERM");
  await new Promise((resolve) => preview.child.once("exit", resolve));
  const after = await visit(appUrl, { method: "POST" });
  expect(after.status).toBe(503);
  expect(after.headers.get("x-captun-error")).toBe("tunnel-offline");
});
