// The one-word start for React Router: its CLI rejects unknown flags (`react-router dev --tunnel`
// fails in Node's strict parseArgs), so `captun react-router dev` runs React Router's own CLI with a
// Vite config that wraps the project's and adds captun's plugin; `captun vite dev` does the same
// through Vite's CLI. The app's config here has no captun in it.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configHome, launchChromium, runNode, watchedPage } from "../../../packages/core/test/_apps.ts";
import { startTestServer, type TestServer } from "../../../packages/core/test/_harness.ts";
import { copyPlayground, lineAfter } from "../../../packages/core/test/_preview.ts";

const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const CAPTUN_BIN = fileURLToPath(new URL("../../../packages/core/bin/captun.js", import.meta.url));
const PLAIN_CONFIG = 'import { reactRouter } from "@react-router/dev/vite";\nexport default { plugins: [reactRouter()] };\n';

let cleanup: AsyncDisposableStack;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let server: TestServer;
let home: string;
let root: string;

beforeAll(async () => {
  cleanup = new AsyncDisposableStack();
  const app = cleanup.use(
    await copyPlayground(PLAYGROUND, ["app", "react-router.config.ts", "package.json"], { "vite.config.ts": PLAIN_CONFIG }),
  );
  root = app.root;
  server = cleanup.use(await startTestServer());
  browser = cleanup.use(await launchChromium());
  home = cleanup.use(
    await configHome({ serverUrl: server.url, secret: server.secret, routing: "subdomain", customHostname: server.customHostname }),
  ).dir;
}, 60_000);
afterAll(async () => {
  await cleanup?.disposeAsync();
});

describe.each([["react-router"], ["vite"]])("captun %s dev", (cli) => {
  it("shares a React Router app whose config has no captun: owner's link under Local, SSR and hydration through it", async () => {
    // In its own process group: React Router's CLI relaunches itself in a child process.
    await using dev = runNode(
      [CAPTUN_BIN, cli, "dev", "--port", "0"],
      root,
      { XDG_CONFIG_HOME: home },
      { processGroup: true, timeoutMs: 60_000 },
    );
    const [, printed = ""] = (await dev.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
    await dev.waitForOutput(/captun: public URL \S+ is live/);
    expect(lineAfter(dev.output(), "Local:")).toContain(`Public:  ${printed}`);
    expect(printed).toMatch(/^http:\/\/playground-react-router-[a-z0-9]+\.localhost:\d+\/\?captun_share=v1\./);

    await using watched = await watchedPage(browser);
    const { page, problems } = watched;
    await page.goto(printed);
    await page.locator("#greeting").getByText("Hello from the captun React Router playground").waitFor();
    expect(await page.locator("#origin").textContent()).toBe(new URL(printed).origin);
    await page.waitForSelector("main[data-hydrated=true]", { timeout: 30_000 });
    await page.click("#increment");
    await page.locator("#count").getByText("1").waitFor();
    expect(problems).toEqual([]);
  });
});
