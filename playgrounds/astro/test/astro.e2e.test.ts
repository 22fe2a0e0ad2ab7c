import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editFile } from "../../../packages/core/test/_apps.ts";
import { startTestServer, type TestServer, uniqueName, visit, waitFor } from "../../../packages/core/test/_harness.ts";
import {
  configHome,
  copyApp,
  launchChromium,
  PLAYGROUND,
  type RunningProcess as RunningCli,
  runAstroCli,
  startAstroDev,
  statusWithHost,
  watchedPage,
} from "./_astro-harness.ts";

let browser: Awaited<ReturnType<typeof launchChromium>>;
let cleanup: AsyncDisposableStack;
let server: TestServer;
let astro: RunningCli;
let root: string;
let localUrl: string;
let publicUrl: string;

beforeAll(async () => {
  cleanup = new AsyncDisposableStack();
  const home = cleanup.use(await configHome());
  browser = cleanup.use(await launchChromium());
  server = cleanup.use(await startTestServer());
  const app = cleanup.use(await copyApp());
  root = app.root;
  const name = uniqueName("astro");
  publicUrl = `${server.tunnelUrl(name)}/`;
  const options = {
    name,
    serverUrl: server.url,
    secret: server.secret,
    customHostname: server.customHostname,
    qr: false,
    access: "public" as const,
  };
  astro = cleanup.use(startAstroDev(root, options, { XDG_CONFIG_HOME: home.dir }));
  [, localUrl = ""] = (await astro.waitForOutput(/^local (\S+)/m)) as string[];
  await astro.waitForOutput(/public URL \S+ is live/);
});
afterAll(async () => {
  await cleanup?.disposeAsync();
});

describe("`astro dev` with captun() under subdomain routing", () => {
  it("serves the page, its image and a working hydrated island through the public URL, with no errors", async () => {
    await using watched = await watchedPage(browser);
    const { page, problems } = watched;
    await page.goto(publicUrl);
    await page.locator("#title").getByText("Hello from the captun Astro playground").waitFor();
    expect(await page.locator("#origin").textContent()).toBe(new URL(publicUrl).origin);
    await page.waitForFunction(() => (document.querySelector("#logo") as HTMLImageElement | null)?.complete);
    expect(await page.evaluate(() => (document.querySelector("#logo") as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    expect(await page.evaluate(() => getComputedStyle(document.querySelector("main")!).borderTopColor)).toBe("rgb(29, 78, 216)");
    // Clicks only count once the island hydrated: Preact's handler is attached in the browser.
    await page.waitForSelector("astro-island:not([ssr])");
    await page.click("#increment");
    await page.click("#increment");
    await page.locator("#count").getByText("2").waitFor();
    await page.click("#visitor-link");
    await page.locator("#url").getByText(`${publicUrl}visitor`).waitFor();
    expect(problems).toEqual([]);
  });

  it("gives on-demand pages the public origin in Astro.url and the visitor's address in Astro.clientAddress", async () => {
    const response = await visit(`${publicUrl}visitor?q=1`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(/<dd id="url"[^>]*>([^<]*)<\/dd>/.exec(html)?.[1]).toBe(`${publicUrl}visitor?q=1`);
    const address = /<dd id="client-address"[^>]*>([^<]*)<\/dd>/.exec(html)?.[1];
    expect(["127.0.0.1", "::1"]).toContain(address);
  });

  it("keeps a visitor's spoofed X-Forwarded-* headers away from Astro", async () => {
    const response = await visit(`${publicUrl}api/echo`, {
      headers: {
        "x-forwarded-for": "203.0.113.66",
        "x-real-ip": "203.0.113.66",
        "x-forwarded-host": "evil.example",
        "x-forwarded-proto": "https",
        forwarded: "for=203.0.113.66;host=evil.example;proto=https",
      },
    });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as Record<string, string | null>;
    expect(seen.url).toBe(`${publicUrl}api/echo`);
    expect(seen.clientAddress).not.toBe("203.0.113.66");
    expect(seen.forwardedFor ?? "").not.toContain("203.0.113.66");
    expect(seen.forwardedHost).toBe(new URL(publicUrl).host);
    expect(seen.forwardedProto).toBe("http");
  });

  it("streams a request body into an on-demand endpoint and its answer back", async () => {
    const text = "captun ".repeat(20_000);
    const response = await visit(`${publicUrl}api/echo`, {
      method: "POST",
      body: text,
      // Astro's checkOrigin refuses a cross-site POST: this passes only if Astro sees the public origin.
      headers: { "content-type": "text/plain", origin: new URL(publicUrl).origin },
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { received: number; reversed: string };
    expect(answer.received).toBe(text.length);
    expect(answer.reversed).toBe([...text].reverse().join(""));
  });

  it("hot-reloads an edited island in a browser on the public URL, keeping the page", async () => {
    await using watched = await watchedPage(browser);
    const { page, problems } = watched;
    // The update arrives over Vite's HMR WebSocket, opened to the public host through the tunnel.
    const hmrSocket = page.waitForEvent("websocket", {
      predicate: (socket) => socket.url().startsWith(publicUrl.replace(/^http/, "ws")),
      timeout: 15_000,
    });
    await page.goto(publicUrl);
    await hmrSocket;
    await page.waitForSelector("astro-island:not([ssr])");
    await page.evaluate(() => {
      (window as { marker?: string }).marker = "still here";
    });
    const file = join(root, "src/components/Counter.tsx");
    const source = await readFile(file, "utf8");
    await editFile(file, source.replace("island ready", "island edited"));
    await page.locator("#island-note").getByText("island edited").waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (window as { marker?: string }).marker)).toBe("still here");
    await editFile(file, source);
    await page.locator("#island-note").getByText("island ready").waitFor({ timeout: 15_000 });
    expect(problems).toEqual([]);
  });

  it("adds exactly the public host to allowedHosts: other hosts stay refused locally", async () => {
    const [, allowed] = (await astro.waitForOutput(/^allowedHosts (.*)$/m)) as string[];
    // Astro adds its own `server.host` (127.0.0.1 here); captun adds the public host and nothing else.
    const hosts = JSON.parse(allowed ?? "null") as string[];
    expect(hosts.filter((host) => host !== "127.0.0.1")).toEqual([new URL(publicUrl).hostname]);
    expect(await statusWithHost(localUrl, "evil.example")).toBe(403);
    expect(await statusWithHost(localUrl, new URL(publicUrl).host)).toBe(200);
  });
});

describe("`astro dev` with captun() on a custom hostname, not sharing yet", () => {
  it("allows exactly the public host, says how to start sharing, and opens no tunnel", async () => {
    await using home = await configHome();
    await using app = await copyApp();
    // `enabled: false` reserves the URL without connecting, so nothing tries to resolve captun.test.
    const options = {
      name: "shop",
      serverUrl: "https://captun.test",
      secret: "s",
      routing: "subdomain",
      customHostname: "captun.test",
      enabled: false,
      access: "public",
    };
    await using astro = startAstroDev(app.root, options as never, { XDG_CONFIG_HOME: home.dir });
    const [, localUrl = ""] = (await astro.waitForOutput(/^local (\S+)/m)) as string[];
    await astro.waitForOutput(/Public\s+https:\/\/shop\.captun\.test\/\s+press t \+ enter to share/);
    expect(await statusWithHost(localUrl, "shop.captun.test")).toBe(200);
    expect(await statusWithHost(localUrl, "other.captun.test")).toBe(403);
    expect(await statusWithHost(localUrl, "captun.test")).toBe(403);
    expect(await statusWithHost(localUrl, "evil.example")).toBe(403);
    expect(astro.output()).not.toMatch(/cannot open the tunnel|is live/);
  });
});

describe("`astro dev` with captun() under folder routing", () => {
  it("explains that Astro needs subdomain routing and how to switch, shares nothing, keeps serving locally", async () => {
    await using server = await startTestServer({ routing: "folder" });
    await using home = await configHome();
    await using app = await copyApp();
    const name = uniqueName("astro-folder");
    const options = { name, serverUrl: server.url, secret: server.secret, routing: "folder" };
    await using astro = startAstroDev(app.root, options as never, { XDG_CONFIG_HOME: home.dir });
    const [, localUrl = ""] = (await astro.waitForOutput(/^local (\S+)/m)) as string[];
    await astro.waitForOutput(/Public\s+not shared/);
    expect(astro.output()).toContain("cannot run under a folder: its client loads /@vite/client");
    expect(astro.output()).toContain("`npx captun server` (subdomain routing on *.localhost is its default)");
    expect(astro.output()).toContain('routing: "subdomain"');
    const offline = await visit(`${server.tunnelUrl(name)}/`);
    expect(offline.status).toBe(503);
    expect(offline.headers.get("x-captun-error")).toBe("tunnel-offline");
    await offline.body?.cancel();
    const local = await visit(localUrl);
    expect(local.status).toBe(200);
    await local.body?.cancel();
  });
});

describe("`pnpm dev` (the astro CLI) in the playground", () => {
  it("accepts --tunnel, prints the public URL under Astro's banner, serves the site on it, survives a config restart", async () => {
    await using server = await startTestServer();
    await using home = await configHome({
      serverUrl: server.url,
      secret: server.secret,
      routing: "subdomain",
      customHostname: server.customHostname,
    });
    // `--tunnel` must share even though this config says not to.
    const config = (await readFile(join(PLAYGROUND, "astro.config.ts"), "utf8")).replace("captun()", "captun({ enabled: false })");
    await using app = await copyApp({ "astro.config.ts": config });
    await using astro = runAstroCli(app.root, ["dev", "--host", "127.0.0.1", "--port", "0", "--tunnel"], {
      XDG_CONFIG_HOME: home.dir,
      CAPTUN_ACCESS: "public",
    });
    const [, publicUrl = ""] = (await astro.waitForOutput(/\[@captun\/astro\] Public\s+(\S+)/)) as string[];
    await astro.waitForOutput(/public URL \S+ is live/);
    const lines = astro.output().split("\n");
    expect(lines.findIndex((line) => line.includes("Public"))).toBeGreaterThan(lines.findIndex((line) => line.includes("┃ Local")));
    const saved = JSON.parse(await readFile(home.file, "utf8")) as { projects: Record<string, string> };
    const [name] = Object.values(saved.projects);
    expect(publicUrl).toBe(`${server.tunnelUrl(name ?? "?")}/`);
    const response = await visit(publicUrl);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Hello from the captun Astro playground");

    // A config edit restarts Astro's server in place: the same public URL keeps serving.
    await editFile(join(app.root, "astro.config.ts"), `${config}// edited\n`);
    await astro.waitForOutput(/[Rr]estart/);
    await waitFor(
      async () => {
        const again = await visit(publicUrl);
        return again.status === 200 && (await again.text()).includes("Hello from the captun Astro playground");
      },
      20_000,
      "the public URL to serve after the restart",
    );
    expect(astro.output()).not.toMatch(/stopped sharing|took the name|tunnel dropped/);
  });
});
