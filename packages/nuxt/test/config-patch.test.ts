import type { DevTunnelSettings } from "captun/dev-server";
import type { NuxtOptions } from "nuxt/schema";
import { describe, expect, it } from "vitest";
import { folderBaseURL, nuxtConfigPatch } from "../src/config-patch.ts";

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

function options(baseURL = "/", allowedHosts?: true | string[]): NuxtOptions {
  return { app: { baseURL }, runtimeConfig: { app: { baseURL } }, vite: { server: { allowedHosts } } } as unknown as NuxtOptions;
}

describe("nuxtConfigPatch", () => {
  it("adds exactly the public host to the hosts Nuxt already allows, and leaves `true` alone", () => {
    const patched = options("/", ["127.0.0.1"]);
    nuxtConfigPatch({ ...folder, pathPrefix: "", routing: "subdomain", publicHostname: "shop.example.dev" }, patched);
    expect(patched.vite.server?.allowedHosts).toEqual(["127.0.0.1", "shop.example.dev"]);
    expect(patched.app.baseURL).toBe("/");
    const open = options("/", true);
    nuxtConfigPatch(folder, open);
    expect(open.vite.server?.allowedHosts).toBe(true);
  });

  it("moves the app below the folder under folder routing, in app and runtime config alike", () => {
    const patched = options("/docs/");
    nuxtConfigPatch(folder, patched);
    expect(patched.app.baseURL).toBe("/shop/docs/");
    expect((patched.runtimeConfig.app as { baseURL: string }).baseURL).toBe("/shop/docs/");
  });
});

describe("folderBaseURL", () => {
  it.each([
    [undefined, "/shop/"],
    ["/", "/shop/"],
    ["./", "/shop/"],
    ["/docs", "/shop/docs/"],
    ["/shop/", "/shop/"],
    ["/shop/docs/", "/shop/docs/"],
  ])("%s → %s", (baseURL, expected) => {
    expect(folderBaseURL("/shop", baseURL)).toBe(expected);
  });
});
