// `next dev` with withCaptun() shares privately by default: the printed link opens the app, an
// anonymous visitor gets the 401 page and nothing of it.
import { expect, it } from "vitest";
import { configHome, launchChromium, watchedPage } from "../../../packages/core/test/_apps.ts";
import { startTestServer, visit } from "../../../packages/core/test/_harness.ts";
import { copyApp, freePort, runNextDev } from "./_next-harness.ts";

const SLOW = 120_000;

it(
  "prints the owner's link, which opens the app; anonymous visitors get 401",
  async () => {
    await using server = await startTestServer({ routing: "subdomain" });
    await using home = await configHome({ serverUrl: server.url, secret: server.secret, customHostname: server.customHostname });
    await using app = await copyApp();
    const port = await freePort();
    await using next = runNextDev(app.root, ["--port", String(port), "--hostname", "127.0.0.1"], { XDG_CONFIG_HOME: home.dir });
    await next.waitForOutput(/captun: public URL \S+ is live/, SLOW);
    const [, link = ""] = (await next.waitForOutput(/- Public:\s+(\S+)/)) as string[];
    expect(next.output()).toMatch(/- Public:\s+\S+\s+private/);
    const appUrl = link.slice(0, link.indexOf("?"));
    expect(link).toMatch(/\/\?captun_share=v1\./);

    for (const path of ["", "api/hello", "_next/static/chunks/main.js", "legacy"]) {
      const response = await visit(appUrl + path);
      expect(response.status, path).toBe(401);
      expect(response.headers.get("x-captun-error")).toBe("access-required");
      expect(await response.text()).not.toMatch(/Next|hello/i);
    }

    await using browser = await launchChromium();
    await using watched = await watchedPage(browser, { ignore: (problem) => problem.startsWith("console: Failed to load resource") });
    const { page, problems } = watched;
    await page.goto(link, { timeout: SLOW });
    expect(page.url()).toBe(appUrl);
    await page.locator("#title").getByText("Hello from the captun Next playground").waitFor({ timeout: SLOW });
    expect(problems).toEqual([]);
  },
  SLOW * 2,
);
