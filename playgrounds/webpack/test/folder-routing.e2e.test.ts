// webpack-dev-server serves the app and its HMR socket from the root of the host, so under folder
// routing captun shares nothing and says how to switch; the local server keeps working.
import { expect, it } from "vitest";
import { startTestServer, uniqueName, visit } from "../../../packages/core/test/_harness.ts";
import { configHome, copyApp, runWebpackServe } from "./_webpack-harness.ts";

it("explains that folder routing cannot work and how to switch, shares nothing, keeps serving locally", async () => {
  await using server = await startTestServer({ routing: "folder" });
  await using home = await configHome({ serverUrl: server.url, secret: server.secret, routing: "folder" });
  await using app = await copyApp();
  const name = uniqueName("webpack-folder");
  await using webpack = runWebpackServe(app.root, ["--port", "0", "--host", "127.0.0.1"], { XDG_CONFIG_HOME: home.dir, CAPTUN_NAME: name });
  const [, localUrl = ""] = (await webpack.waitForOutput(/Loopback: (http[^,\s]+)/)) as string[];
  await webpack.waitForOutput(/\[captun\] Public: not shared/);
  expect(webpack.output()).toContain("serves the app, its bundles and its HMR socket (/ws) from the root of the host");
  expect(webpack.output()).toContain("`npx captun server` (subdomain routing on *.localhost is its default)");
  const offline = await visit(`${server.tunnelUrl(name)}/`);
  expect(offline.status).toBe(503);
  expect(offline.headers.get("x-captun-error")).toBe("tunnel-offline");
  await offline.body?.cancel();
  const local = await visit(localUrl);
  expect(local.status).toBe(200);
  expect(await local.text()).toContain("captun webpack playground");
});
