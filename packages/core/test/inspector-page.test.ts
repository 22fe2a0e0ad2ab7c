// `captun <port>` prints its inspector's URL; the page, in Chromium, lists a request that just came
// through the tunnel live and replays it as-is and edited.
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, watchedPage } from "./_apps.ts";
import { readBody, startOrigin, startTestServer, type TestServer, uniqueName, visit } from "./_harness.ts";
import { runCli, tempConfigHome } from "./fixtures/cli-process.ts";

/** A 1×1 PNG. */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

/** Holds a loopback port so the inspector has to move past it. */
async function occupiedPort(): Promise<{ port: number } & AsyncDisposable> {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const { port } = blocker.address() as { port: number };
  return { port, [Symbol.asyncDispose]: () => new Promise<void>((resolve) => blocker.close(() => resolve())) };
}

function cliEnv(home: string) {
  return {
    XDG_CONFIG_HOME: home,
    CAPTUN_SERVER_URL: server.url,
    CAPTUN_SECRET: server.secret,
    CAPTUN_CUSTOM_HOSTNAME: server.customHostname ?? "",
  };
}

describe("captun <port> inspector", () => {
  it("prints the Inspect URL (next free port) and its page shows live traffic and replays it, as-is and edited", async () => {
    await using home = await tempConfigHome();
    const received: string[] = [];
    await using origin = await startOrigin(async (req, res) => {
      if (req.url === "/pixel.png") return void res.writeHead(200, { "content-type": "image/png" }).end(PNG);
      if (req.url === "/blob")
        return void res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.from([0, 1, 2, 0xff]));
      const body = (await readBody(req)).toString();
      received.push(`${req.method} ${req.url} ${body}`);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ echoed: body }));
    });
    await using taken = await occupiedPort();
    const name = uniqueName("page");
    await using cli = runCli([origin.url, "--name", name, "--inspect-port", String(taken.port), "--no-qr"], cliEnv(home.path));
    const [, inspectUrl, inspectPort] = await cli.waitFor(/➜ {2}Inspect: (http:\/\/127\.0\.0\.1:(\d+)\/)/);
    expect(Number(inspectPort)).toBeGreaterThan(taken.port);
    // The Inspect line sits right under the public URL.
    expect(cli.output).toMatch(/Public:\s+\S+\n\s+➜ {2}Inspect:/);

    await using browser = await launchChromium();
    await using watched = await watchedPage(browser);
    const { page, problems } = watched;
    await page.goto(inspectUrl!);
    await page.locator("#state", { hasText: "live" }).waitFor();

    const publicUrl = server.tunnelUrl(name);
    await (
      await visit(`${publicUrl}/webhooks/order`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"order":7}' })
    ).text();
    const row = page.locator('#list tr[data-id="1"]');
    await row.waitFor();
    expect(await row.textContent()).toContain("/webhooks/order");
    await row.click();
    await expect.poll(() => page.locator("#detail .body-view.json").first().textContent()).toContain('"order": 7');

    await page.click("#replay");
    await page.locator("#compare", { hasText: "Replay #2" }).waitFor();
    expect(await page.locator('#list tr[data-id="2"]').textContent()).toContain("replay of #1");

    await page.click("#edit");
    await page.fill("#edit-body", '{"order":8}');
    await page.fill("#edit-path", "/webhooks/edited");
    await page.click("#edit-send");
    await page.locator("#compare", { hasText: "Replay #3" }).waitFor();
    expect(received).toEqual(['POST /webhooks/order {"order":7}', 'POST /webhooks/order {"order":7}', 'POST /webhooks/edited {"order":8}']);

    await page.click("#copy-curl");
    expect(await page.locator("#snippet").textContent()).toMatch(
      /^curl -X POST 'http:\/\/.+\/webhooks\/order' .*--data-binary '\{"order":7\}'$/s,
    );
    await page.click("#copy-fetch");
    expect(await page.locator("#snippet").textContent()).toContain('"body": "{\\"order\\":7}"');

    await page.fill("#filter-path", "edited");
    await expect.poll(() => page.locator("#list tr").count()).toBe(1);
    await page.fill("#filter-path", "");

    // Secrets are hidden until revealed; images are previewed, binary shown as hex, forms as a table.
    await (await visit(`${publicUrl}/pixel.png`, { headers: { authorization: "Bearer page-secret" } })).arrayBuffer();
    await (
      await visit(`${publicUrl}/blob`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "a=1&b=two",
      })
    ).arrayBuffer();
    await page.locator('#list tr[data-id="4"]').click();
    await page.locator("#detail img.preview").waitFor();
    expect(await page.locator("#detail").textContent()).toContain("[redacted]");
    expect(await page.locator("#detail").textContent()).not.toContain("page-secret");
    await page.check("#reveal");
    await expect.poll(() => page.locator("#detail").textContent()).toContain("Bearer page-secret");
    await page.locator('#list tr[data-id="5"]').click();
    await expect.poll(() => page.locator("#detail .body-view.hex").textContent()).toContain("00 01 02 ff");
    expect(await page.locator("#detail table.form").textContent()).toBe("a1btwo");
    expect(problems).toEqual([]);
  });

  it("--no-inspect prints no Inspect line", async () => {
    await using home = await tempConfigHome();
    await using origin = await startOrigin((_req, res) => res.end("ok"));
    await using cli = runCli([origin.url, "--name", uniqueName("noinsp"), "--no-inspect", "--no-qr"], cliEnv(home.path));
    await cli.waitFor(/Ctrl-C to stop/);
    expect(cli.output).not.toContain("Inspect:");
  });
});
