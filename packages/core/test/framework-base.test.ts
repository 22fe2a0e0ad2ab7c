// Frameworks that route below a base of their own (SvelteKit's `paths.base`) under folder routing:
// shared when that base is the tunnel's folder, refused with directions otherwise.
import { describe, expect, it } from "vitest";
import { folderBaseProblem } from "../src/dev-server/framework-base.ts";
import type { DevTunnelSettings } from "../src/dev-server/settings.ts";
import { viteConfigPatch } from "../src/dev-server/vite-hooks.ts";

const folder: DevTunnelSettings = {
  name: "shop",
  serverUrl: "https://captun.example",
  secret: "s",
  routing: "folder",
  customHostname: undefined,
  tunnelUrl: "https://captun.example/shop",
  publicHostname: "captun.example",
  pathPrefix: "/shop",
  access: { mode: "public", publicPaths: [] },
  shareUrl: "https://captun.example/shop/",
};
const subdomain: DevTunnelSettings = { ...folder, routing: "subdomain", tunnelUrl: "https://shop.example.dev", pathPrefix: "" };

/** What `sveltekit({ paths: { base } })` puts in a plugin list: a promise of plugins, one carrying the config. */
function sveltekit(base?: string) {
  return Promise.resolve([
    { name: "vite-plugin-sveltekit-resolve-root" },
    { name: "vite-plugin-sveltekit-setup", api: { options: { paths: { base: base ?? "" } } } },
  ]);
}

describe("folderBaseProblem", () => {
  it("refuses a SvelteKit app whose paths.base is not the folder, naming both settings to change", async () => {
    const problem = await folderBaseProblem(folder, { plugins: [sveltekit(), { name: "captun" }] });
    expect(problem).toContain('sveltekit({ paths: { base: "/shop" } }) and captun({ name: "shop" })');
    expect(problem).toContain("subdomain routing");
    expect(await folderBaseProblem(folder, { plugins: [[sveltekit("/docs")]] })).toContain('("/docs" here)');
  });

  it("refuses a React Router app whose Vite base is not in the folder, naming base and basename", async () => {
    const reactRouter = [{ name: "react-router" }, { name: "react-router:virtual-modules" }];
    const problem = await folderBaseProblem(folder, { plugins: [reactRouter] });
    expect(problem).toContain('base: "/shop/" and captun({ name: "shop" }) in vite.config, and basename: "/shop/" in react-router.config');
    expect(await folderBaseProblem(folder, { plugins: [reactRouter], base: "/app/" })).toContain('(`base` is "/app/" here)');
    expect(await folderBaseProblem(folder, { plugins: [reactRouter], base: "/shop/" })).toBeUndefined();
    expect(await folderBaseProblem(folder, { plugins: [reactRouter], base: "/shop/app/" })).toBeUndefined();
  });

  it("refuses a SolidStart app under folder routing and shares it under subdomain routing", async () => {
    const solidStart = [{ name: "solid-start:config" }, { name: "solid-start:virtual-modules" }];
    expect(await folderBaseProblem(folder, { plugins: [solidStart] })).toContain("SolidStart's dev client does not run below a Vite base");
    expect(await folderBaseProblem(subdomain, { plugins: [solidStart] })).toBeUndefined();
  });

  it("refuses a Vite that runs in middleware mode inside another server (Storybook) under folder routing", async () => {
    expect(await folderBaseProblem(folder, { server: { middlewareMode: true } })).toContain("Vite runs in middleware mode");
    expect(await folderBaseProblem(subdomain, { server: { middlewareMode: true } })).toBeUndefined();
  });

  it("shares a SvelteKit app whose paths.base is the folder, any app under subdomain routing, and plain Vite apps", async () => {
    expect(await folderBaseProblem(folder, { plugins: [sveltekit("/shop")] })).toBeUndefined();
    expect(await folderBaseProblem(subdomain, { plugins: [sveltekit()] })).toBeUndefined();
    expect(await folderBaseProblem(subdomain, { plugins: [{ name: "react-router" }] })).toBeUndefined();
    expect(await folderBaseProblem(folder, { plugins: [{ name: "vite:react" }, null, false] })).toBeUndefined();
  });
});

describe("viteConfigPatch under folder routing", () => {
  const env = { command: "serve", mode: "development" } as const;
  it("puts the folder in front of the app's own base, once", () => {
    expect(viteConfigPatch(folder, {}, env).base).toBe("/shop/");
    expect(viteConfigPatch(folder, { base: "/app/" }, env).base).toBe("/shop/app/");
    // A base that already is the folder (SvelteKit's `paths.base`, no trailing slash) stays as it is.
    expect(viteConfigPatch(folder, { base: "/shop" }, env).base).toBeUndefined();
    expect(viteConfigPatch(folder, { base: "/shop/app/" }, env).base).toBeUndefined();
  });
});
