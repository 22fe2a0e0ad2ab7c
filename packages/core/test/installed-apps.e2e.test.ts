// The packages as users get them: packed tarballs installed with npm into apps made the way the
// frameworks' creators make them, outside this workspace; then `captun server` and the framework's
// dev server from that app, checked in Chromium. (npm talks to the registry for the creators and
// the apps' dependencies; every request the test itself makes goes to loopback.)
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configHome, editFile, freePort, launchChromium, type RunningProcess, runNode, watchedPage } from "./_apps.ts";
import { npm, PUBLISHED_PACKAGES, packPackage } from "./_packages.ts";

type Folder = (typeof PUBLISHED_PACKAGES)[number];

let work: string;
const tarballs = {} as Record<Folder, string>;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "captun-installed-"));
  for (const folder of PUBLISHED_PACKAGES) tarballs[folder] = await packPackage(folder, work);
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** `captun server` from the app's own `captun`, with a config home of its own; disposes both. */
async function serveFrom(app: string) {
  const stack = new AsyncDisposableStack();
  const home = stack.use(await configHome({}));
  const env = { XDG_CONFIG_HOME: home.dir, ASTRO_TELEMETRY_DISABLED: "1", NEXT_TELEMETRY_DISABLED: "1" };
  const server = stack.use(
    runNode([join(app, "node_modules/captun/bin/captun.js"), "server", "--port", "0"], app, env, { timeoutMs: 180_000 }),
  );
  await server.waitForOutput(/Server:\s+http:\/\/localhost:\d+/);
  return { env, [Symbol.asyncDispose]: () => stack.disposeAsync() };
}

/** Opens the printed public URL in Chromium, then edits a source and waits for the change to show. */
async function expectSharedWithHmr(dev: RunningProcess, publicLine: RegExp, heading: string, edit: () => Promise<string>) {
  const [, publicUrl = ""] = (await dev.waitForOutput(publicLine)) as string[];
  expect(new URL(publicUrl).hostname).toMatch(/\.localhost$/);
  await using browser = await launchChromium();
  await using watched = await watchedPage(browser);
  // The first request compiles the page, which takes a while for Next on a busy 2-core machine.
  await watched.page.goto(publicUrl, { timeout: 120_000 });
  await watched.page
    .getByText(heading)
    .first()
    .waitFor({ timeout: 120_000 })
    .catch((error: Error) => {
      throw new Error(`${error.message}\n--- dev server output:\n${dev.output()}`);
    });
  const changed = await edit();
  await watched.page.getByText(changed).first().waitFor({ timeout: 30_000 });
  expect(watched.problems).toEqual([]);
}

describe("installed from the tarballs with npm", () => {
  it("a create-vite app with @captun/vite: `captun server`, then `vite` shares with HMR", { timeout: 300_000 }, async () => {
    await npm(work, ["exec", "--yes", "--", "create-vite@9.3.0", "vite-app", "--template", "vanilla-ts", "--no-interactive"]);
    const app = join(work, "vite-app");
    await npm(app, ["install"]);
    await npm(app, ["install", "--save-dev", tarballs.core, tarballs["vite-plugin"]]);
    await writeFile(
      join(app, "vite.config.ts"),
      `import captun from "@captun/vite";\nimport { defineConfig } from "vite";\n\nexport default defineConfig({ plugins: [captun()] });\n`,
    );
    await using served = await serveFrom(app);
    await using vite = runNode([join(app, "node_modules/vite/bin/vite.js"), "--port", "0"], app, served.env);
    await expectSharedWithHmr(vite, /➜\s+Public:\s+(\S+)/, "Get started", async () => {
      const main = join(app, "src/main.ts");
      await editFile(main, (await readFile(main, "utf8")).replace("<h1>Get started</h1>", "<h1>Edited through HMR</h1>"));
      return "Edited through HMR";
    });
  });

  it("Astro's minimal template with @captun/astro shares `astro dev` with HMR", { timeout: 300_000 }, async () => {
    // create-astro downloads its templates from GitHub, which this machine cannot reach: these are
    // the files of Astro's "minimal" template.
    const app = join(work, "astro-app");
    await mkdir(join(app, "src/pages"), { recursive: true });
    await writeFile(
      join(app, "package.json"),
      JSON.stringify({ name: "astro-app", type: "module", private: true, scripts: { dev: "astro dev" } }),
    );
    await writeFile(
      join(app, "tsconfig.json"),
      JSON.stringify({ extends: "astro/tsconfigs/strict", include: [".astro/types.d.ts", "**/*"], exclude: ["dist"] }),
    );
    await writeFile(
      join(app, "astro.config.mjs"),
      `import captun from "@captun/astro";\nimport { defineConfig } from "astro/config";\n\nexport default defineConfig({ integrations: [captun()] });\n`,
    );
    const page = join(app, "src/pages/index.astro");
    await writeFile(
      page,
      `---\n---\n<html lang="en"><head><meta charset="utf-8" /><link rel="icon" href="data:," /><title>Astro</title></head><body><h1>Astro</h1></body></html>\n`,
    );
    await npm(app, ["install", "astro@7.3.5", tarballs.core, tarballs.astro]);
    await using served = await serveFrom(app);
    await using astro = runNode([join(app, "node_modules/astro/bin/astro.mjs"), "dev", "--port", "0"], app, served.env);
    await expectSharedWithHmr(astro, /Public\s+(http\S+)/, "Astro", async () => {
      await editFile(page, (await readFile(page, "utf8")).replace("<h1>Astro</h1>", "<h1>Edited through HMR</h1>"));
      return "Edited through HMR";
    });
  });

  it("a create-next-app app with @captun/next shares `next dev` with Fast Refresh", { timeout: 400_000 }, async () => {
    await npm(work, [
      "exec",
      "--yes",
      "--",
      "create-next-app@16.4.3",
      "next-app",
      "--ts",
      "--app",
      "--no-eslint",
      "--no-tailwind",
      "--no-src-dir",
      "--no-turbopack",
      "--skip-install",
      "--use-npm",
      "--yes",
      "--disable-git",
    ]);
    const app = join(work, "next-app");
    await npm(app, ["install"]);
    await npm(app, ["install", "--save-dev", tarballs.core, tarballs.next]);
    const config = join(app, "next.config.ts");
    await writeFile(
      config,
      `import withCaptun from "@captun/next";\n${(await readFile(config, "utf8")).replace("export default nextConfig;", "export default withCaptun(nextConfig);")}`,
    );
    await using served = await serveFrom(app);
    const port = await freePort();
    await using next = runNode([join(app, "node_modules/next/dist/bin/next"), "dev", "--port", String(port)], app, served.env, {
      processGroup: true,
      timeoutMs: 120_000,
    });
    await expectSharedWithHmr(next, /Public:\s+(\S+)/, "To get started, edit the", async () => {
      const source = join(app, "app/page.tsx");
      await editFile(source, (await readFile(source, "utf8")).replace("To get started, edit the", "Edited through Fast Refresh, edit the"));
      return "Edited through Fast Refresh";
    });
  });
});
