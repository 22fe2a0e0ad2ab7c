// React Router under folder routing: it reads Vite's `base` and its own `basename` before captun's
// plugin runs, so it is shared when both already are the tunnel's folder (and refused with
// directions otherwise: see packages/core/test/framework-base.test.ts). One captun server and one
// dev server for the file, private by default as users get it.
import { expect, it } from "vitest";
import { expectWorksInFolder, sharedDevServer } from "../../../packages/core/test/_framework-checks.ts";
import { uniqueName } from "../../../packages/core/test/_harness.ts";
import { copyApp, runReactRouterDev } from "./_react-router-harness.ts";

const name = uniqueName("rr");
const config = [
  'import captun from "@captun/vite";',
  'import { reactRouter } from "@react-router/dev/vite";',
  `export default { base: "/${name}/", plugins: [reactRouter(), captun({ name: "${name}" })] };`,
].join("\n");

const app = sharedDevServer({
  routing: "folder",
  copyApp: () => copyApp({ "vite.config.ts": config, "react-router.config.ts": `export default { ssr: true, basename: "/${name}/" };` }),
  start: (root, env) => runReactRouterDev(root, ["--port", "0"], env),
});

it("serves the app below the folder when Vite's base and React Router's basename are that folder", async () => {
  expect(app.publicUrl).toMatch(new RegExp(`/${name}/$`));
  expect(new URL(app.localUrl).pathname).toMatch(new RegExp(`^/${name}/?$`));
  await using watched = await app.page();
  const greeting = { selector: "#greeting", text: "Hello from the captun React Router playground" };
  await expectWorksInFolder(app, watched, { greeting, ready: "main[data-hydrated=true]" });
});
