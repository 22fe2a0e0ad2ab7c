// The one-word start for SvelteKit: SvelteKit runs on Vite's own CLI (`vite dev`), which rejects unknown flags, so it is
// `captun vite dev`: the project's own Vite with a config that wraps the project's and adds
// captun's plugin. The app's config here has no captun in it.
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { configHome, launchChromium, runNode, watchedPage } from "../../../packages/core/test/_apps.ts";
import { startTestServer } from "../../../packages/core/test/_harness.ts";
import { copyPlayground, lineAfter } from "../../../packages/core/test/_preview.ts";

const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const CAPTUN_BIN = fileURLToPath(new URL("../../../packages/core/bin/captun.js", import.meta.url));
const PLAIN_CONFIG = 'import { sveltekit } from "@sveltejs/kit/vite";\nexport default { plugins: [sveltekit()] };\n';

it("`captun vite dev` shares a SvelteKit app whose config has no captun: owner's link under Local, SSR and hydration", async () => {
  await using app = await copyPlayground(PLAYGROUND, ["src", "package.json"], { "vite.config.ts": PLAIN_CONFIG });
  await using server = await startTestServer();
  await using browser = await launchChromium();
  await using home = await configHome({
    serverUrl: server.url,
    secret: server.secret,
    routing: "subdomain",
    customHostname: server.customHostname,
  });
  await using dev = runNode([CAPTUN_BIN, "vite", "dev", "--port", "0"], app.root, { XDG_CONFIG_HOME: home.dir }, { timeoutMs: 60_000 });
  const [, printed = ""] = (await dev.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
  await dev.waitForOutput(/captun: public URL \S+ is live/);
  expect(lineAfter(dev.output(), "Local:")).toContain(`Public:  ${printed}`);
  expect(printed).toMatch(/^http:\/\/playground-sveltekit-[a-z0-9]+\.localhost:\d+\/\?captun_share=v1\./);

  await using watched = await watchedPage(browser);
  const { page, problems } = watched;
  await page.goto(printed);
  await page.locator("#greeting").getByText("Hello from the captun SvelteKit playground").waitFor();
  expect(await page.locator("#origin").textContent()).toBe(new URL(printed).origin);
  await page.waitForSelector("main[data-hydrated=true]", { timeout: 30_000 });
  await page.click("#increment");
  await page.locator("#count").getByText("1").waitFor();
  expect(problems).toEqual([]);
}, 120_000);
