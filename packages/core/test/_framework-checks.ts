// What every framework row of the compatibility matrix (docs/frameworks.md) is held to, written once: one captun
// server, one dev server started with the framework's own CLI and one Chromium per suite, then the
// checks each row repeats: the page renders through the public URL with no errors, an edit reaches
// it by HMR without a full reload, a body round-trips through an API route or form action, only the
// exact public host is allowed, and the preview is private by default (docs/access.md).
//
// Suites run private, as users get them: the tests go in with the owner's link the dev server
// printed (its access cookie), and `itIsPrivateByDefault` checks everybody else stays out.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { localhostConnectOptions } from "../src/_localhost.ts";
import { createCaptunTunnel } from "../src/client.ts";
import { createOriginFetcher } from "../src/origin.ts";
import { ERROR_HEADER } from "../src/protocol.ts";
import type { RoutingMode } from "../src/routing.ts";
import { ACCESS_COOKIE, createShareLink, SHARE_PARAM } from "../src/share-link.ts";
import {
  configHome,
  editFile,
  launchChromium,
  type RunningProcess,
  statusWithHost,
  type WatchedPageOptions,
  watchedPage,
} from "./_apps.ts";
import { startOrigin, startTestServer, type TestServer, uniqueName, visit } from "./_harness.ts";

export type WatchedPage = Awaited<ReturnType<typeof watchedPage>>;

export interface DevServerSpec {
  /** The captun server's routing. @default "subdomain" */
  routing?: RoutingMode;
  /**
   * `"public"` shares the way `CAPTUN_ACCESS=public` does. @default private, the default users get
   * (the tests then go in with the owner's link)
   */
  access?: "public";
  /** A throwaway copy of the app (tests edit its files). */
  copyApp(): Promise<{ root: string } & AsyncDisposable>;
  /** The framework's own dev CLI in `root`, with `env` (captun's config home and access) added. */
  start(root: string, env: Record<string, string>): RunningProcess | Promise<RunningProcess>;
  /** The output line with the framework's local URL (first group). @default Vite's `➜  Local:` */
  localLine?: RegExp;
  /** The output line with captun's public URL (first group). @default Vite's layout, `➜  Public:` */
  publicLine?: RegExp;
  /** The output line saying the tunnel is live. @default /public URL \S+ is live/ */
  liveLine?: RegExp;
  /** How long the dev server may take to print both and go live. @default 60_000 */
  timeoutMs?: number;
}

/** A visitor's request options, with plain-object headers (so the owner's cookie can be added). */
export interface VisitInit {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
}

/** A running dev server shared through captun, filled in by the suite's `beforeAll`. */
export interface DevServer {
  server: TestServer;
  browser: Browser;
  process: RunningProcess;
  /** The app's throwaway copy. */
  root: string;
  /** The captun config file the dev server reads and writes (in a throwaway `XDG_CONFIG_HOME`). */
  configFile: string;
  localUrl: string;
  /** What the dev server printed as its public URL: the owner's share link on a private preview. */
  printedUrl: string;
  /** The app's public URL (ends in `/`), without a share token. */
  publicUrl: string;
  /** The owner's access cookie as a `Cookie` header (`captun_access=…`); `""` on a public preview. */
  cookie: string;
  /** A request to the public URL as the owner (with the access cookie). */
  visit(url: string, init?: VisitInit): ReturnType<typeof visit>;
  /** A watched page in a fresh browser context that holds the owner's access cookie. */
  page(options?: WatchedPageOptions): Promise<WatchedPage>;
}

/** Starts the captun server, the dev server and Chromium before the suite's tests and stops them (by PID) after. */
export function sharedDevServer(spec: DevServerSpec): DevServer {
  const timeoutMs = spec.timeoutMs ?? 60_000;
  const app = {} as DevServer;
  let cleanup: AsyncDisposableStack | undefined;
  beforeAll(async () => {
    cleanup = new AsyncDisposableStack();
    const routing = spec.routing ?? "subdomain";
    const server = cleanup.use(await startTestServer({ routing }));
    const home = cleanup.use(
      await configHome({ serverUrl: server.url, secret: server.secret, routing, customHostname: server.customHostname }),
    );
    const browser = cleanup.use(await launchChromium());
    const { root } = cleanup.use(await spec.copyApp());
    // Explicitly empty, so a developer's own CAPTUN_ACCESS / CAPTUN_PASSCODE cannot change what is tested.
    const access = { CAPTUN_ACCESS: spec.access ?? "", CAPTUN_PASSCODE: "" };
    const dev = cleanup.use(await spec.start(root, { XDG_CONFIG_HOME: home.dir, ...access }));
    const [, localUrl = ""] = (await dev.waitForOutput(spec.localLine ?? /➜\s+Local:\s+(\S+)/, timeoutMs)) as string[];
    const [, printedUrl = ""] = (await dev.waitForOutput(spec.publicLine ?? /➜\s+Public:\s+(\S+)/, timeoutMs)) as string[];
    await dev.waitForOutput(spec.liveLine ?? /public URL \S+ is live/, timeoutMs);
    const publicUrl = withoutToken(printedUrl);
    const cookie = spec.access === "public" ? undefined : await openOwnerLink(printedUrl);
    Object.assign(app, {
      server,
      browser,
      process: dev,
      root,
      configFile: home.file,
      localUrl,
      printedUrl,
      publicUrl,
      cookie: cookie ? `${cookie.name}=${cookie.value}` : "",
      visit: (url: string, init: VisitInit = {}) =>
        visit(url, { ...init, headers: { ...init.headers, ...(cookie ? { cookie: `${cookie.name}=${cookie.value}` } : {}) } }),
      async page(options?: WatchedPageOptions) {
        const watched = await watchedPage(browser, options);
        if (cookie) await watched.page.context().addCookies([cookie]);
        return watched;
      },
    } satisfies DevServer);
  }, timeoutMs + 30_000);
  afterAll(async () => {
    await cleanup?.disposeAsync();
  });
  return app;
}

function withoutToken(link: string): string {
  const url = new URL(link);
  url.searchParams.delete(SHARE_PARAM);
  return url.href;
}

/** Opens the owner's link as a browser would: it answers 303 with the access cookie, here returned in Playwright's shape. */
async function openOwnerLink(link: string) {
  const response = await visit(link, { headers: { accept: "text/html" } });
  expect(response.status, `opening the owner's link ${link}`).toBe(303);
  await response.body?.cancel();
  const [pair = "", ...attributes] = (response.headers.get("set-cookie") ?? "").split(/;\s*/);
  const [name = "", value = ""] = pair.split(/=(.*)/s);
  expect(name).toBe(ACCESS_COOKIE);
  const path = attributes.find((a) => a.startsWith("Path="))?.slice(5) ?? "/";
  return { name, value, domain: new URL(link).hostname, path, httpOnly: true, sameSite: "Lax" as const };
}

/** A page of the app: where it is, what it says, and how to tell its JavaScript runs. */
export interface AppView {
  /** Below the public URL. @default "" */
  path?: string;
  /** The app's greeting: where it is and what it says. */
  greeting: { selector: string; text: string };
  /** A selector that matches once the app's JavaScript runs (hydration). */
  ready?: string;
  /** What the page logs to the console once its HMR socket (through the tunnel) is up. */
  hmrConnected?: string;
  /** How long to wait for the page, its HMR socket and updates. @default 30_000 */
  timeoutMs?: number;
}

/** Waits until `view` shows its greeting and (when given) its JavaScript ran. */
export async function expectAppRuns({ page }: WatchedPage, view: AppView): Promise<void> {
  const timeout = view.timeoutMs ?? 30_000;
  await page.locator(view.greeting.selector).getByText(view.greeting.text).waitFor({ timeout });
  if (view.ready) await page.waitForSelector(view.ready, { timeout });
}

/**
 * The playgrounds' server-rendered page (SvelteKit, React Router, SolidStart, Nuxt): the server saw
 * the public origin (`#origin`), the CSS loaded (a blue border on `main`), and clicks on `#increment`
 * count in `#count` once the page hydrated; nothing errs on the way.
 */
export async function expectServerRendered(app: DevServer, watched: WatchedPage, view: AppView, clicks = 2): Promise<void> {
  const { page, problems } = watched;
  await page.goto(app.publicUrl + (view.path ?? ""));
  await page.locator(view.greeting.selector).getByText(view.greeting.text).waitFor();
  // The server `load` saw the URL the visitor used, not the local one.
  expect(await page.locator("#origin").textContent()).toBe(new URL(app.publicUrl).origin);
  expect(await page.evaluate(() => getComputedStyle(document.querySelector("main")!).borderTopColor)).toBe("rgb(29, 78, 216)");
  // Clicks count only once the framework hydrated the page in the browser.
  await expectAppRuns(watched, view);
  for (let i = 0; i < clicks; i++) await page.click("#increment");
  await page.locator("#count").getByText(String(clicks)).waitFor();
  expect(problems).toEqual([]);
}

export interface HotEdit {
  /** The source file to edit, relative to the app's root. */
  file: string;
  /** The text in it to replace, and its replacement. */
  from: string;
  to: string;
  /** What the greeting then shows. @default `to` */
  shows?: string;
}

/**
 * Opens `view` on the public URL, waits for the HMR socket, edits `edit.file` and sees the greeting
 * change in place: page state kept (a marker on `window`) and still one navigation; then the
 * original is restored the same way. Nothing errs on the way.
 */
export async function expectHotUpdate(app: DevServer, watched: WatchedPage, view: AppView, edit: HotEdit): Promise<void> {
  const { page, problems } = watched;
  const timeout = view.timeoutMs ?? 30_000;
  // Edit only once the HMR socket is up and the page loaded, so the edit is an update, not a first load.
  const { hmrConnected } = view;
  if (!hmrConnected) throw new TypeError("expectHotUpdate needs the view's hmrConnected line");
  const connected = page.waitForEvent("console", { predicate: (message) => message.text().includes(hmrConnected), timeout });
  await page.goto(app.publicUrl + (view.path ?? ""));
  await connected;
  await expectAppRuns(watched, view);
  await page.evaluate(() => {
    (window as { marker?: string }).marker = "still here";
  });
  const file = join(app.root, edit.file);
  const source = await readFile(file, "utf8");
  expect(source).toContain(edit.from);
  await editFile(file, source.replace(edit.from, edit.to));
  const greeting = page.locator(view.greeting.selector);
  await greeting.getByText(edit.shows ?? edit.to).waitFor({ timeout });
  expect(await page.evaluate(() => (window as { marker?: string }).marker)).toBe("still here");
  expect(await page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(1);
  await editFile(file, source);
  await greeting.getByText(view.greeting.text).waitFor({ timeout });
  expect(problems).toEqual([]);
}

/**
 * The playgrounds' form (`#message`, `#send`, `#echoed` upper-cases it) at `path`: submitted in the
 * browser once hydrated, and as a plain POST without JavaScript, answered with the re-rendered page.
 */
export async function expectFormAction(app: DevServer, watched: WatchedPage, path = "form"): Promise<void> {
  const { page, problems } = watched;
  await page.goto(app.publicUrl + path);
  await page.waitForSelector("form[data-hydrated=true]", { timeout: 30_000 });
  await page.fill("#message", "through the tunnel");
  await page.click("#send");
  await page.locator("#echoed").getByText("THROUGH THE TUNNEL").waitFor();
  expect(problems).toEqual([]);

  const plain = await app.visit(app.publicUrl + path, {
    method: "POST",
    body: "message=plain post",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: new URL(app.publicUrl).origin, accept: "text/html" },
  });
  expect(plain.status).toBe(200);
  expect(await plain.text()).toMatch(/<p id="echoed"[^>]*>PLAIN POST<\/p>/);
}

/**
 * Under folder routing, the app (the playgrounds' counter page linking `#form-link` to their form)
 * works below the tunnel's folder: it hydrates, client-side navigation stays inside the folder, the
 * form posts there, and an API route sees the public URL with the folder in it.
 */
export async function expectWorksInFolder(app: DevServer, watched: WatchedPage, view: AppView): Promise<void> {
  const { page, problems } = watched;
  const folder = new URL(app.publicUrl).pathname;
  await page.goto(app.publicUrl);
  await expectAppRuns(watched, view);
  await page.click("#increment");
  await page.locator("#count").getByText("1").waitFor();
  await page.click("#form-link");
  await page.waitForSelector("form[data-hydrated=true]", { timeout: 30_000 });
  expect(new URL(page.url()).pathname).toBe(`${folder}form`);
  await page.fill("#message", "in a folder");
  await page.click("#send");
  await page.locator("#echoed").getByText("IN A FOLDER").waitFor();
  expect(problems).toEqual([]);
  await expectSeesPublicUrl(app, "api/echo");
}

/** The public URL's line comes right under the framework's `Local:` one, in the same layout. */
export function expectPublicUrlUnderLocal(app: DevServer): void {
  const lines = app.process.output().split("\n");
  expect(lines[lines.findIndex((line) => line.includes("Local:")) + 1]).toContain(`Public:  ${app.printedUrl}`);
}

/** A GET of `path` answers JSON whose `url` is the public URL the visitor used; returns the JSON. */
export async function expectSeesPublicUrl(app: DevServer, path: string): Promise<Record<string, unknown>> {
  const response = await app.visit(app.publicUrl + path);
  expect(response.status).toBe(200);
  const seen = (await response.json()) as Record<string, unknown>;
  expect(seen.url).toBe(app.publicUrl + path);
  return seen;
}

/**
 * POSTs 140 kB through the public URL to an echo endpoint (`{ received, reversed }`), from the
 * public origin as a browser would, and checks every byte came back; returns the answer.
 */
export async function expectBodyRoundTrip(app: DevServer, path = "api/echo"): Promise<Record<string, unknown>> {
  const text = "captun ".repeat(20_000);
  const response = await app.visit(app.publicUrl + path, {
    method: "POST",
    body: text,
    headers: { "content-type": "text/plain", origin: new URL(app.publicUrl).origin },
  });
  expect(response.status).toBe(200);
  const answer = (await response.json()) as Record<string, unknown>;
  expect(answer.received).toBe(text.length);
  expect(answer.reversed).toBe([...text].reverse().join(""));
  return answer;
}

/** The dev server's own host check lets exactly the public host in at `url` (its local URL by default). */
export async function expectOnlyPublicHost(app: DevServer, url = app.localUrl): Promise<void> {
  const { host, hostname } = new URL(app.publicUrl);
  expect(await statusWithHost(url, "evil.example")).toBe(403);
  expect(await statusWithHost(url, `${hostname}.evil.example`)).toBe(403);
  expect(await statusWithHost(url, host)).toBe(200);
}

/** What a private preview must keep from anonymous visitors, besides its page. */
export interface Gated {
  /** Paths below the public URL: modules, bundles, API routes, other pages. */
  paths: string[];
  /** The dev server's HMR socket: its path below the public URL and its subprotocol. @default the root, none */
  socket?: { path?: string; protocol?: string };
}

/**
 * The tests of a private-by-default preview: the printed owner's link opens the app in Chromium
 * (its JavaScript running, its HMR socket up); anonymous visitors get 401 for the page,
 * `gated.paths` and the HMR socket; forged, expired and other tunnels' tokens get nothing either.
 */
export function itIsPrivateByDefault(app: DevServer, view: AppView, gated: Gated): void {
  const socketUrl = () => app.publicUrl + (gated.socket?.path ?? "");
  it("prints the owner's link as the public URL, which opens the app in the browser and drops the token", async () => {
    expect(app.printedUrl).toMatch(/\?captun_share=v1\.[\w-]+\.[\w-]+$/);
    const banner = app.process
      .output()
      .split("\n")
      .find((line) => line.includes(app.printedUrl));
    expect(banner).toMatch(/private/);
    // A fresh browser without the cookie, as the owner clicking the printed link.
    await using watched = await watchedPage(app.browser);
    const { page, problems } = watched;
    const timeout = view.timeoutMs ?? 30_000;
    // The HMR socket comes up with the cookie the link set, too.
    const { hmrConnected } = view;
    const hmr = hmrConnected && page.waitForEvent("console", { predicate: (message) => message.text().includes(hmrConnected), timeout });
    await page.goto(linkTo(app, view.path ?? ""));
    expect(page.url()).toBe(app.publicUrl + (view.path ?? ""));
    await expectAppRuns(watched, view);
    await hmr;
    const { pathname } = new URL(app.publicUrl);
    expect(await page.context().cookies()).toEqual([
      expect.objectContaining({
        name: ACCESS_COOKIE,
        httpOnly: true,
        sameSite: "Lax",
        path: pathname === "/" ? "/" : pathname.slice(0, -1),
      }),
    ]);
    expect(await page.evaluate(() => document.cookie)).not.toContain(ACCESS_COOKIE);
    expect(problems).toEqual([]);
  });

  it("gives an anonymous visitor the 401 page and none of the app, its modules, its API or its HMR socket", async () => {
    for (const path of ["", ...gated.paths]) {
      const response = await visit(app.publicUrl + path);
      expect(response.status, path).toBe(401);
      expect(response.headers.get(ERROR_HEADER), path).toBe("access-required");
      expectNothingOfTheApp(await response.text(), view);
    }
    await using watched = await watchedPage(app.browser, { ignore: (problem) => problem.includes("401") });
    const response = await watched.page.goto(app.publicUrl + (view.path ?? ""));
    expect(response?.status()).toBe(401);
    expect(await watched.page.locator("#captun-access-message").textContent()).toBe("This preview is private — ask its owner for a link.");
    expect(await watched.page.locator(view.greeting.selector).count()).toBe(0);
    expect(await socketStatus(socketUrl(), gated.socket?.protocol)).toBe(401);
  });

  it("lets no forged, expired or other tunnel's token in, as a link or as a cookie", async () => {
    const owner = new URL(app.printedUrl).searchParams.get(SHARE_PARAM) ?? "";
    const name = decodeClaims(owner).n as string;
    const minted = async (options: { name?: string; secret?: string; ttlMs?: number }) => {
      const link = await createShareLink({
        tunnelUrl: app.publicUrl.slice(0, -1),
        name: options.name ?? name,
        secret: options.secret ?? app.server.secret,
        ttlMs: options.ttlMs ?? 60_000,
        label: "owner",
      });
      return new URL(link.url).searchParams.get(SHARE_PARAM) ?? "";
    };
    const body = owner.slice(0, owner.lastIndexOf("."));
    const signature = owner.slice(owner.lastIndexOf(".") + 1);
    const claims = decodeClaims(owner);
    // The owner's claims stretched by a year, under the owner's own signature.
    const stretched = `v1.${Buffer.from(JSON.stringify({ ...claims, e: (claims.e as number) + 365 * 86_400_000 })).toString("base64url")}.${signature}`;
    const attempts: [string, string, string][] = [
      ["an expired owner's link", await minted({ ttlMs: -1_000 }), "link-expired"],
      ["the owner's claims stretched", stretched, "link-invalid"],
      [
        "the owner's token with its signature altered",
        `${body}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`,
        "link-invalid",
      ],
      ["a token signed with a guessed secret", await minted({ secret: "guessed-secret" }), "link-invalid"],
      ["another tunnel's valid token", await minted({ name: `${name}-x` }), "link-invalid"],
    ];
    for (const [what, token, code] of attempts) {
      const asLink = await visit(`${app.publicUrl}?${SHARE_PARAM}=${token}`, { headers: { accept: "text/html" } });
      expect({ what, status: asLink.status, code: asLink.headers.get(ERROR_HEADER) }).toEqual({ what, status: 401, code });
      expect(asLink.headers.get("set-cookie"), what).toBeNull();
      expectNothingOfTheApp(await asLink.text(), view);
      const asCookie = await visit(app.publicUrl, { headers: { cookie: `${ACCESS_COOKIE}=${token}` } });
      expect({ what, status: asCookie.status, code: asCookie.headers.get(ERROR_HEADER) }).toEqual({ what, status: 401, code });
      expectNothingOfTheApp(await asCookie.text(), view);
    }
    expect(await socketStatus(socketUrl(), gated.socket?.protocol, `${ACCESS_COOKIE}=${stretched}`)).toBe(401);

    // The owner's token does not open another private tunnel on the same server either.
    const seen: string[] = [];
    await using origin = await startOrigin((req, res) => {
      seen.push(req.url ?? "");
      res.end("other app");
    });
    const fetcher = createOriginFetcher(origin.url);
    const other = uniqueName("other");
    await using tunnel = await createCaptunTunnel({
      url: app.server.tunnelUrl(other),
      secret: app.server.secret,
      fetch: fetcher,
      access: { mode: "private" },
    });
    const elsewhere = await visit(`${tunnel.url}/?${SHARE_PARAM}=${owner}`, { headers: { accept: "text/html" } });
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.headers.get(ERROR_HEADER)).toBe("link-invalid");
    const elsewhereCookie = await visit(`${tunnel.url}/`, { headers: { cookie: app.cookie } });
    expect(elsewhereCookie.status).toBe(401);
    expect(seen).toEqual([]);
    await fetcher.close();
  });
}

/** The owner's link, pointed at `path` (query included) below the app. */
function linkTo(app: DevServer, path: string): string {
  const token = new URL(app.printedUrl).searchParams.get(SHARE_PARAM) ?? "";
  return `${app.publicUrl}${path}${path.includes("?") ? "&" : "?"}${SHARE_PARAM}=${token}`;
}

function decodeClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

function expectNothingOfTheApp(body: string, view: AppView): void {
  expect(body).not.toContain(view.greeting.text);
  expect(body).not.toMatch(/<script|import |vite|captun [\w ]*playground/i);
}

/** The status a WebSocket upgrade to `url` gets (the HMR socket's way in); fails if it opens. */
function socketStatus(url: string, protocol?: string, cookie?: string): Promise<number> {
  const options = { ...localhostConnectOptions, headers: cookie ? { cookie } : {} };
  const socket = new WebSocket(url.replace(/^http/, "ws"), protocol ? [protocol] : [], options);
  return new Promise<number>((resolve, reject) => {
    socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    socket.on("open", () => {
      socket.close();
      reject(new Error(`a WebSocket to ${url} opened without access`));
    });
    socket.on("error", () => {});
  });
}
