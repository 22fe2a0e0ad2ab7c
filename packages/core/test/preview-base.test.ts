// `vite preview` shares a build as it is: under folder routing only a build that fits the folder
// (relative URLs, or a base inside it) is shared, and the folder is re-added only when the app is
// served inside it. The real previews are in playgrounds/*/test/preview.e2e.test.ts.
import { describe, expect, it } from "vitest";
import { parseViteArgs, VITE_CLIS } from "../src/cli/vite.ts";
import { previewBaseProblem, previewPathPrefix } from "../src/dev-server/preview.ts";
import type { DevTunnelSettings } from "../src/dev-server/settings.ts";

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

describe("previewBaseProblem", () => {
  it("shares relative and in-folder builds under folder routing", async () => {
    for (const base of ["./", "", "./app/", "/shop/", "/shop", "/shop/app/", "https://cdn.example/assets/"]) {
      expect(await previewBaseProblem(folder, { base }), base).toBeUndefined();
    }
  });

  it("refuses a build that loads its files from the host's root, naming both bases and subdomain routing", async () => {
    for (const base of [undefined, "/", "/app/", "/shopping/"]) {
      const problem = await previewBaseProblem(folder, { base });
      expect(problem, String(base)).toContain('base: "./" (relative URLs), or base: "/shop/" with captun({ name: "shop" })');
      expect(problem).toContain("subdomain routing");
    }
  });

  it("keeps the frameworks' own folder rules (SvelteKit's paths.base)", async () => {
    const kit = (base: string) => [{ name: "vite-plugin-sveltekit-setup", api: { options: { paths: { base } } } }];
    expect(await previewBaseProblem(folder, { plugins: [kit("")], base: "/" })).toContain("paths.base");
    expect(await previewBaseProblem(folder, { plugins: [kit("/shop")], base: "/shop/" })).toBeUndefined();
  });

  it("has nothing to say under subdomain routing", async () => {
    expect(await previewBaseProblem(subdomain, { base: "/" })).toBeUndefined();
  });
});

describe("previewPathPrefix", () => {
  it("re-adds the folder only when the preview serves the app inside it", () => {
    expect(previewPathPrefix(folder, "/shop/")).toBe("/shop");
    expect(previewPathPrefix(folder, "/shop/app/")).toBe("/shop");
    expect(previewPathPrefix(folder, "/")).toBe("");
    expect(previewPathPrefix(folder, "/shopping/")).toBe("");
    expect(previewPathPrefix(subdomain, "/")).toBe("");
  });
});

describe("parseViteArgs for React Router's CLI", () => {
  it("takes React Router's subcommands for subcommands, not for the project root, and captun's flags out", () => {
    const parsed = parseViteArgs(["dev", "--port", "3000", "--name", "shop", "app"], "/work", VITE_CLIS["react-router"]);
    expect(parsed.viteArgs).toEqual(["dev", "--port", "3000", "app"]);
    expect(parsed.env).toEqual({ CAPTUN_NAME: "shop" });
    expect(parsed.root).toBe("/work/app");
    expect(parseViteArgs(["typegen"], "/work", VITE_CLIS["react-router"]).root).toBe("/work");
    expect(parseViteArgs(["typegen"], "/work", VITE_CLIS.vite).root).toBe("/work/typegen");
  });
});
