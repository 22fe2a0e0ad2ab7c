// `vite dev` with `plugins: [sveltekit(), captun()]` under subdomain routing, private by default as
// users get it: one captun server and one SvelteKit dev server for the whole file.
import { expect, it } from "vitest";
import {
  expectBodyRoundTrip,
  expectFormAction,
  expectHotUpdate,
  expectOnlyPublicHost,
  expectPublicUrlUnderLocal,
  expectSeesPublicUrl,
  expectServerRendered,
  itIsPrivateByDefault,
  sharedDevServer,
} from "../../../packages/core/test/_framework-checks.ts";
import { copyApp, runViteDev } from "./_sveltekit-harness.ts";

const GREETING = "Hello from the captun SvelteKit playground";
const HOME = { greeting: { selector: "#greeting", text: GREETING }, ready: "main[data-hydrated=true]", hmrConnected: "[vite] connected" };

const app = sharedDevServer({
  copyApp,
  start: (root, env) => runViteDev(root, ["--port", "0"], env),
});

it("prints the public URL right under SvelteKit's local one", () => {
  expectPublicUrlUnderLocal(app);
  expect(new URL(app.publicUrl).hostname).toMatch(/^playground-sveltekit-[a-z0-9]+\.localhost$/);
});

it("renders the page server-side with the public origin and hydrates it, with no errors", async () => {
  await using watched = await app.page();
  await expectServerRendered(app, watched, HOME);
});

it("hot-updates an edited component in a browser on the public URL, without a full reload", async () => {
  await using watched = await app.page();
  await expectHotUpdate(app, watched, HOME, {
    file: "src/lib/Greeting.svelte",
    from: GREETING,
    to: "Edited through the tunnel",
  });
});

it("runs a form action from the public URL, in the browser and as a plain POST", async () => {
  await using watched = await app.page();
  await expectFormAction(app, watched);
});

it("answers an API route with the public URL and the visitor's address, and streams a body both ways", async () => {
  const seen = await expectSeesPublicUrl(app, "api/echo?q=1");
  expect(["127.0.0.1", "::1"]).toContain(seen.clientAddress);
  await expectBodyRoundTrip(app);
});

it("allows exactly the public host: other hosts stay refused locally", async () => {
  await expectOnlyPublicHost(app);
});

itIsPrivateByDefault(app, HOME, {
  paths: ["form", "api/echo", "src/lib/Greeting.svelte", "@vite/client"],
  socket: { protocol: "vite-hmr" },
});
