// The oldest supported Vite majors (the newest, 8, is what every other test here runs): the plugin
// prints the public URL, the page renders through it in Chromium, and an edit arrives by HMR.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { editFile } from "../../../packages/core/test/_apps.ts";
import { startTestServer } from "../../../packages/core/test/_harness.ts";
import { configHome, copyApp, launchChromium, PLAYGROUND, runNode, watchedPage } from "./_vite-harness.ts";

const app = (message: string) => ({
  "package.json": JSON.stringify({ name: "peer-app", private: true, type: "module" }),
  "vite.config.mjs": `import captun from "@captun/vite";\nexport default { plugins: [captun()] };\n`,
  "index.html": `<!doctype html><meta charset="utf-8"><title>peer</title><link rel="icon" href="data:,"><h1 id="message"></h1><script type="module" src="/src/main.js"></script>`,
  "src/main.js": `import { message } from "./message.js";\ndocument.querySelector("#message").textContent = message;\nwindow.loadedAt ??= performance.now();\nimport.meta.hot?.accept("./message.js", (next) => { document.querySelector("#message").textContent = next.message; });\n`,
  "src/message.js": `export const message = ${JSON.stringify(message)};\n`,
});

describe.each(["vite6", "vite7"])("captun() with %s", (alias) => {
  it("shares the dev server with HMR through the public URL", async () => {
    await using server = await startTestServer({ routing: "subdomain" });
    await using home = await configHome({ serverUrl: server.url, secret: server.secret, customHostname: server.customHostname });
    await using copy = await copyApp(app("first version"));
    await using vite = runNode([join(PLAYGROUND, "node_modules", alias, "bin", "vite.js"), "--port", "0"], copy.root, {
      XDG_CONFIG_HOME: home.dir,
    });
    const [, version] = (await vite.waitForOutput(/VITE v(\d+)\./)) as string[];
    expect(version).toBe(alias.slice(-1));
    const [, publicUrl = ""] = (await vite.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];

    await using browser = await launchChromium();
    await using watched = await watchedPage(browser);
    const hmrConnected = watched.page.waitForEvent("console", { predicate: (message) => message.text().includes("[vite] connected") });
    await watched.page.goto(publicUrl);
    await watched.page.locator("#message").getByText("first version").waitFor();
    await hmrConnected;
    const loadedAt = await watched.page.evaluate(() => (window as unknown as { loadedAt: number }).loadedAt);

    await editFile(join(copy.root, "src/message.js"), `export const message = "second version";\n`);
    await watched.page.locator("#message").getByText("second version").waitFor();
    // Same page (no full reload): the module was swapped in place.
    expect(await watched.page.evaluate(() => (window as unknown as { loadedAt: number }).loadedAt)).toBe(loadedAt);
    expect(watched.problems).toEqual([]);
  });
});
