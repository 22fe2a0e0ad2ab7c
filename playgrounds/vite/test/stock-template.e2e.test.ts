// `captun vite` on an app captun's plugin was not written for: Vite's stock vanilla-ts template,
// with no vite.config at all, run through the one-word command.
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { startTestServer, uniqueName } from "../../../packages/core/test/_harness.ts";
import { configHome, copyApp, launchChromium, runNode, watchedPage } from "./_vite-harness.ts";

const CAPTUN_BIN = fileURLToPath(new URL("../../../packages/core/bin/captun.js", import.meta.url));

const STOCK_TEMPLATE = {
  "package.json": JSON.stringify({ name: "vite-project", private: true, type: "module" }),
  "index.html": `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <link rel="icon" type="image/svg+xml" href="/vite.svg" />
    <title>Vite + TS</title>
  </head>
  <body>
    <div id="app"></div>
    <script type="module" src="/src/main.ts"></script>
  </body>
</html>
`,
  "public/vite.svg": `<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><title>Vite</title><rect width="32" height="32" fill="#646cff"/></svg>`,
  "src/style.css": "#app { text-align: center; }\nbutton { color: rgb(100, 108, 255); }\n",
  "src/counter.ts": `export function setupCounter(element: HTMLButtonElement) {
  let counter = 0
  const setCounter = (count: number) => {
    counter = count
    element.innerHTML = \`count is \${counter}\`
  }
  element.addEventListener('click', () => setCounter(counter + 1))
  setCounter(0)
}
`,
  "src/main.ts": `import './style.css'
import viteLogo from '/vite.svg'
import { setupCounter } from './counter.ts'

document.querySelector<HTMLDivElement>('#app')!.innerHTML = \`
  <div>
    <img src="\${viteLogo}" class="logo" alt="Vite logo" />
    <h1>Vite + TypeScript</h1>
    <button id="counter" type="button"></button>
  </div>
\`
setupCounter(document.querySelector<HTMLButtonElement>('#counter')!)
`,
};

it("`captun vite --name …` shares a stock Vite template that has no captun in its config", async () => {
  await using server = await startTestServer({ routing: "subdomain" });
  await using home = await configHome({ serverUrl: server.url, secret: server.secret, customHostname: server.customHostname });
  await using app = await copyApp(STOCK_TEMPLATE);
  const name = uniqueName("stock");
  await using cli = runNode([CAPTUN_BIN, "vite", "--name", name, "--port", "0", "--strictPort"], app.root, { XDG_CONFIG_HOME: home.dir });
  await cli.waitForOutput(/captun: public URL \S+ is live/);
  const [, publicUrl] = (await cli.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
  // `captun vite` shares privately: the printed URL is the owner's link, which the browser follows into the app.
  expect(publicUrl?.startsWith(`${server.tunnelUrl(name)}/?captun_share=v1.`)).toBe(true);

  await using browser = await launchChromium();
  await using watched = await watchedPage(browser);
  await watched.page.goto(publicUrl!);
  await watched.page.locator("h1").getByText("Vite + TypeScript").waitFor();
  await watched.page.click("#counter");
  await watched.page.locator("#counter").getByText("count is 1").waitFor();
  expect(await watched.page.evaluate(() => getComputedStyle(document.querySelector("#counter")!).color)).toBe("rgb(100, 108, 255)");
  expect(watched.problems).toEqual([]);
});

it("`captun vite` passes Vite's own flags through and rejects a bad --name before starting Vite", async () => {
  await using home = await configHome({});
  await using app = await copyApp(STOCK_TEMPLATE);
  await using bad = runNode([CAPTUN_BIN, "vite", "--name", "Not A Label"], app.root, { XDG_CONFIG_HOME: home.dir });
  await bad.waitForOutput(/--name "Not A Label" is not a valid tunnel name/);
  await using version = runNode([CAPTUN_BIN, "vite", "--version"], app.root, { XDG_CONFIG_HOME: home.dir });
  await version.waitForOutput(/vite\/8\.\d+\.\d+/);
});
