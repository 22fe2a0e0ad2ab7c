// SvelteKit under folder routing: it routes below its own `paths.base`, not Vite's base, so it is
// shared when that base is the tunnel's folder (and refused with directions otherwise: see
// packages/core/test/framework-base.test.ts). One captun server and one dev server for the file,
// private by default: the owner's cookie is scoped to the folder.
import { expect, it } from "vitest";
import { expectWorksInFolder, itIsPrivateByDefault, sharedDevServer } from "../../../packages/core/test/_framework-checks.ts";
import { uniqueName } from "../../../packages/core/test/_harness.ts";
import { copyApp, runViteDev } from "./_sveltekit-harness.ts";

const name = uniqueName("kit");
const HOME = {
  greeting: { selector: "#greeting", text: "Hello from the captun SvelteKit playground" },
  ready: "main[data-hydrated=true]",
  hmrConnected: "[vite] connected",
};
const config = [
  'import captun from "@captun/vite";',
  'import { sveltekit } from "@sveltejs/kit/vite";',
  `export default { plugins: [sveltekit({ paths: { base: "/${name}" } }), captun({ name: "${name}" })] };`,
].join("\n");

const app = sharedDevServer({
  routing: "folder",
  copyApp: () => copyApp({ "vite.config.ts": config }),
  start: (root, env) => runViteDev(root, ["--port", "0"], env),
});

it("serves the app below the folder when SvelteKit's paths.base is that folder", async () => {
  expect(app.publicUrl).toMatch(new RegExp(`/${name}/$`));
  expect(new URL(app.localUrl).pathname).toMatch(new RegExp(`^/${name}/?$`));
  await using watched = await app.page();
  await expectWorksInFolder(app, watched, HOME);
});

itIsPrivateByDefault(app, HOME, {
  paths: ["form", "api/echo", "src/lib/Greeting.svelte", "@vite/client"],
  socket: { protocol: "vite-hmr" },
});
