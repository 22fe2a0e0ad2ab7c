// The inspector in Astro's and Next's dev servers: `/__captun/` on the local URL lists what came
// through the tunnel, and answers 404 through the public URL.
import { afterEach, expect, it } from "vitest";
import {
  configHome as astroConfigHome,
  copyApp as copyAstroApp,
  type RunningProcess,
  startAstroDev,
} from "../../../playgrounds/astro/test/_astro-harness.ts";
import { copyApp as copyNextApp, freePort, runNextDev } from "../../../playgrounds/next/test/_next-harness.ts";
import { configHome } from "./_apps.ts";
import { rawGet } from "./_dev-endpoints.ts";
import { startTestServer, uniqueName, visit } from "./_harness.ts";

const SLOW = 120_000;
let running: RunningProcess | undefined;
afterEach(({ task }) => {
  if (task.result?.state === "fail") console.error(`dev server output:\n${running?.output().slice(-3000)}`);
});

/** A request through the public URL shows up in the local inspector; the inspector is 404 publicly. */
async function expectLocalOnlyInspector(inspectUrl: string, publicUrl: string, prefix: string) {
  await (await visit(`${publicUrl}?seen=1`)).arrayBuffer();
  await expect
    .poll(async () => ((await (await fetch(`${inspectUrl}api/requests`)).json()) as { path: string }[]).map((row) => row.path))
    .toContain("/?seen=1");
  expect(await (await fetch(inspectUrl)).text()).toContain("captun inspector");
  for (const target of [`${prefix}/__captun/`, `${prefix}/__captun/api/requests`]) {
    const answer = await rawGet(publicUrl, target);
    expect({ target, status: answer.status, error: answer.error }).toEqual({ target, status: 404, error: "dev-endpoint-blocked" });
  }
}

it(
  "Astro: Inspect line after the banner, /__captun/ local only",
  async () => {
    await using home = await astroConfigHome();
    await using server = await startTestServer();
    await using app = await copyAstroApp();
    const name = uniqueName("astro-insp");
    const options = { name, serverUrl: server.url, secret: server.secret, customHostname: server.customHostname, qr: false };
    await using astro = startAstroDev(app.root, options, { XDG_CONFIG_HOME: home.dir, CAPTUN_ACCESS: "public" });
    running = astro;
    await astro.waitForOutput(/public URL \S+ is live/, SLOW);
    const [, inspectUrl = ""] = (await astro.waitForOutput(/Inspect (\S+)/, SLOW)) as string[];
    expect(inspectUrl).toMatch(/^http:\/\/localhost:\d+\/__captun\/$/);
    await expectLocalOnlyInspector(inspectUrl, `${server.tunnelUrl(name)}/`, "");
  },
  SLOW,
);

it(
  "Next: Inspect line under Public, /__captun/ local only (folder routing, basePath)",
  async () => {
    await using server = await startTestServer({ routing: "folder" });
    await using home = await configHome({ serverUrl: server.url, secret: server.secret, routing: "folder" });
    await using app = await copyNextApp();
    const port = await freePort();
    await using next = runNextDev(app.root, ["--port", String(port), "--hostname", "127.0.0.1"], {
      XDG_CONFIG_HOME: home.dir,
      CAPTUN_ACCESS: "public",
    });
    running = next;
    await next.waitForOutput(/captun: public URL \S+ is live/, SLOW);
    const [, publicUrl = ""] = (await next.waitForOutput(/- Public:\s+(\S+)/, SLOW)) as string[];
    const [, inspectUrl = ""] = (await next.waitForOutput(/- Inspect:\s+(\S+)/, SLOW)) as string[];
    expect(inspectUrl).toBe(`http://localhost:${port}/__captun/`);
    const url = publicUrl.endsWith("/") ? publicUrl : `${publicUrl}/`;
    await expectLocalOnlyInspector(inspectUrl, url, new URL(url).pathname.replace(/\/$/, ""));
  },
  SLOW,
);
