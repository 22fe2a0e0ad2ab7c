// `astro dev` with captun() shares privately by default: the printed link opens the site, an
// anonymous visitor gets the 401 page and nothing of it.
import { expect, it } from "vitest";
import { startTestServer, uniqueName, visit } from "../../../packages/core/test/_harness.ts";
import { configHome, copyApp, launchChromium, startAstroDev, watchedPage } from "./_astro-harness.ts";

it("prints the owner's link, which opens the site with a working island; anonymous visitors get 401", async () => {
  await using server = await startTestServer({ routing: "subdomain" });
  await using home = await configHome();
  await using app = await copyApp();
  const name = uniqueName("astro-private");
  const options = { name, serverUrl: server.url, secret: server.secret, customHostname: server.customHostname, qr: false };
  await using astro = startAstroDev(app.root, options, { XDG_CONFIG_HOME: home.dir });
  const [, link = ""] = (await astro.waitForOutput(/\[@captun\/astro\] Public\s+(\S+)/)) as string[];
  await astro.waitForOutput(/public URL \S+ is live/);
  expect(link.startsWith(`${server.tunnelUrl(name)}/?captun_share=v1.`)).toBe(true);
  expect(astro.output()).toMatch(/Public\s+\S+\s+private/);

  for (const path of ["/", "/visitor", "/api/echo", "/@vite/client"]) {
    const response = await visit(server.tunnelUrl(name) + path);
    expect(response.status, path).toBe(401);
    expect(response.headers.get("x-captun-error")).toBe("access-required");
    expect(await response.text()).not.toContain("Astro");
  }

  await using browser = await launchChromium();
  await using watched = await watchedPage(browser);
  const { page, problems } = watched;
  await page.goto(link);
  expect(page.url()).toBe(`${server.tunnelUrl(name)}/`);
  await page.locator("#title").getByText("Hello from the captun Astro playground").waitFor();
  await page.waitForSelector("astro-island:not([ssr])");
  expect(problems).toEqual([]);
});
