// A real Vite dev server shared through a real shard, loaded in Chromium by fresh visitors: the
// optimized dependency comes from the shard's cache, source modules too while the dev server's
// change generation stands (docs/architecture.md), and after an edit the open page (HMR) and the
// next visitor get the new code, never the kept one.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editFile } from "../../../packages/core/test/_apps.ts";
import { startTestServer, type TestServer, visit } from "../../../packages/core/test/_harness.ts";
import { configHome, copyApp, launchChromium, type RunningCli, runVite } from "./_vite-harness.ts";

const DEP = "captun-cache-dep";
const MODULES = 24;

describe("a shared Vite dev server behind the shard's edge cache", () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let server: TestServer;
  let cleanup: AsyncDisposableStack;
  let vite: RunningCli;
  let root: string;
  let publicUrl: string;

  beforeAll(async () => {
    cleanup = new AsyncDisposableStack();
    browser = cleanup.use(await launchChromium());
    server = cleanup.use(await startTestServer({ routing: "subdomain" }));
    const home = cleanup.use(
      await configHome({ serverUrl: server.url, secret: server.secret, routing: "subdomain", customHostname: server.customHostname }),
    );
    root = cleanup.use(await copyApp()).root;
    // A package in node_modules, so Vite pre-bundles it and serves it as `.vite/deps/…?v=<hash>`, immutable.
    await mkdir(join(root, "node_modules", DEP), { recursive: true });
    await writeFile(
      join(root, "node_modules", DEP, "package.json"),
      JSON.stringify({ name: DEP, version: "1.0.0", type: "module", main: "index.js" }),
    );
    await writeFile(join(root, "node_modules", DEP, "index.js"), 'export const depText = "from the optimized dependency";\n');
    // A page of a few dozen modules, as dev pages are (hundreds in docs/benchmarks.md's app), so the
    // page's fixed requests (the document, Vite's client, the SSE stream, the favicon) are a minority.
    await mkdir(join(root, "src/parts"));
    for (let i = 0; i < MODULES; i++) await writeFile(join(root, `src/parts/part${i}.ts`), `export const part${i} = ${i};\n`);
    const imports = Array.from({ length: MODULES }, (_, i) => `import { part${i} } from "./parts/part${i}.ts";`).join("\n");
    const sum = Array.from({ length: MODULES }, (_, i) => `part${i}`).join(" + ");
    const main = await readFile(join(root, "src/main.ts"), "utf8");
    await writeFile(
      join(root, "src/main.ts"),
      `import { depText } from "${DEP}";\n${imports}\n(window as { depText?: string }).depText = depText;\n(window as { partSum?: number }).partSum = ${sum};\n${main}`,
    );
    vite = cleanup.use(runVite(root, ["--port", "0"], { XDG_CONFIG_HOME: home.dir, CAPTUN_ACCESS: "public", DEBUG: "vite:transform" }));
    await vite.waitForOutput(/captun: public URL \S+ is live/);
    [, publicUrl = ""] = (await vite.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
  });
  afterAll(async () => {
    await cleanup?.disposeAsync();
  });

  it("warms the entry when sharing starts: Vite transforms the app's modules before any visitor asks", async () => {
    // Nothing has requested a page yet (the next tests do); only the warm-up can have asked.
    await vite.waitForOutput(/vite:transform .*\/src\/main\.ts/);
    await vite.waitForOutput(/vite:transform .*\/src\/greeting\.ts/);
  });

  it("serves a second visitor the page's modules from the shard: at most 20 % of its requests reach the dev server", async () => {
    const first = await load(publicUrl);
    expect(first.cache.size).toBeGreaterThan(3);
    const second = await load(publicUrl);
    const dep = [...second.cache].find(([url]) => url.includes(`/node_modules/.vite/deps/${DEP}.js?v=`));
    expect(dep?.[1]).toBe("hit");
    const byPath = (path: string) => [...second.cache].find(([url]) => new URL(url).pathname === path)?.[1];
    // Source modules: Vite's no-cache + ETag, answered without asking while nothing changed.
    expect(byPath("/src/main.ts")).toBe("hit");
    expect(byPath("/src/greeting.ts")).toBe("hit");
    // The page itself is not a module Vite vouches for: it is still revalidated.
    expect(byPath("/")).toBe("revalidated");
    const reached = [...second.cache].filter(([, state]) => state !== "hit");
    expect(reached.length / second.cache.size, JSON.stringify(reached)).toBeLessThanOrEqual(0.2);
    expect(second.depText).toBe("from the optimized dependency");
    expect(await second.page.evaluate(() => (window as { partSum?: number }).partSum)).toBe((MODULES * (MODULES - 1)) / 2);
    await second.page.context().close();
    await first.page.context().close();
  });

  it("after an edit, the next visitor gets the new module, not the one the shard kept", async () => {
    const watching = await load(publicUrl);
    await editFile(
      join(root, "src/greeting.ts"),
      (await readFile(join(root, "src/greeting.ts"), "utf8")).replace("Hello from the captun playground", "Edited behind the cache"),
    );
    // The open page's hot update proves Vite has seen the edit.
    await watching.page.locator("#greeting").getByText("Edited behind the cache").waitFor();
    // The exact URL the shard kept: the change generation moved, so Vite's new ETag brings the new body.
    const module = await visit(`${publicUrl}src/greeting.ts`);
    expect(module.headers.get("x-captun-cache")).toBeNull();
    expect(await module.text()).toContain("Edited behind the cache");
    const fresh = await load(publicUrl);
    expect(fresh.greeting).toBe("Edited behind the cache");
    await fresh.page.context().close();
    await watching.page.context().close();
  });

  it("races edits: once the new module was served, the old one never is again, and every HMR'd page and new visitor gets it", async () => {
    const watching = await load(publicUrl);
    const path = join(root, "src/greeting.ts");
    for (let round = 1; round <= 3; round++) {
      const text = `Race edit ${round}`;
      const before = await readFile(path, "utf8");
      await editFile(path, before.replace(/export const GREETING = "[^"]*";/, `export const GREETING = "${text}";`));
      // Fetch the kept URL as fast as possible from the moment the file is written: the old
      // module may come back until the dev server has seen the edit, never after the new one did.
      const seen: boolean[] = [];
      const deadline = Date.now() + 20_000;
      while (!seen.at(-1) && Date.now() < deadline && seen.length < 2_000) {
        seen.push((await (await visit(`${publicUrl}src/greeting.ts`)).text()).includes(text));
      }
      expect(seen.at(-1)).toBe(true);
      for (let i = 0; i < 5; i++) seen.push((await (await visit(`${publicUrl}src/greeting.ts`)).text()).includes(text));
      expect(seen.slice(seen.indexOf(true))).not.toContain(false);
      // The page that was open when the file changed, and one opened right after: both run the new code.
      await watching.page.locator("#greeting").getByText(text).waitFor();
      const fresh = await load(publicUrl);
      expect(fresh.greeting).toBe(text);
      await fresh.page.context().close();
    }
    await watching.page.context().close();
  });

  /** A first-time visitor (fresh profile, nothing cached): the page after its load event, and each response's cache header. */
  async function load(url: string): Promise<{ page: Page; cache: Map<string, string | null>; greeting: string | null; depText: unknown }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cache = new Map<string, string | null>();
    page.on("response", (response) => {
      if (response.url().startsWith(url)) cache.set(response.url(), response.headers()["x-captun-cache"] ?? null);
    });
    await page.goto(url);
    await page.locator("#greeting").getByText(/\S/).waitFor();
    const greeting = await page.locator("#greeting").textContent();
    const depText = await page.evaluate(() => (window as { depText?: string }).depText);
    return { page, cache, greeting, depText };
  }
});
