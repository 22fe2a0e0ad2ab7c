// `react-router dev` with `plugins: [reactRouter(), captun()]` under subdomain routing, private by
// default as users get it: one captun server and one React Router dev server for the whole file.
import { expect, it } from "vitest";
import {
  expectBodyRoundTrip,
  expectFormAction,
  expectHotUpdate,
  expectOnlyPublicHost,
  expectPublicUrlUnderLocal,
  expectSeesPublicUrl,
  expectServerRendered,
  sharedDevServer,
} from "../../../packages/core/test/_framework-checks.ts";
import { copyApp, runReactRouterDev } from "./_react-router-harness.ts";

const GREETING = "Hello from the captun React Router playground";
const HOME = { greeting: { selector: "#greeting", text: GREETING }, ready: "main[data-hydrated=true]", hmrConnected: "[vite] connected" };

const app = sharedDevServer({
  copyApp,
  start: (root, env) => runReactRouterDev(root, ["--port", "0"], env),
});

it("prints the public URL right under React Router's local one", () => {
  expectPublicUrlUnderLocal(app);
  expect(new URL(app.publicUrl).hostname).toMatch(/^playground-react-router-[a-z0-9]+\.localhost$/);
});

it("renders the page server-side with the public origin and hydrates it, with no errors", async () => {
  await using watched = await app.page();
  await expectServerRendered(app, watched, HOME);
});

it("fast-refreshes an edited component in a browser on the public URL, without a full reload", async () => {
  await using watched = await app.page();
  await expectHotUpdate(app, watched, HOME, {
    file: "app/greeting.tsx",
    from: GREETING,
    to: "Edited through the tunnel",
  });
});

it("runs a form action from the public URL, in the browser and as a plain POST", async () => {
  await using watched = await app.page();
  await expectFormAction(app, watched);
});

it("answers a resource route with the public URL, and streams a body both ways", async () => {
  await expectSeesPublicUrl(app, "api/echo?q=1");
  await expectBodyRoundTrip(app);
});

it("allows exactly the public host: other hosts stay refused locally", async () => {
  await expectOnlyPublicHost(app);
});
