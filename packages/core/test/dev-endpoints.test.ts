import { describe, expect, it } from "vitest";
import { isDevControlPath } from "../src/dev-server/dev-endpoints.ts";

describe("isDevControlPath", () => {
  it.each([
    "/__open-in-editor",
    "/__OPEN-in-editor",
    "/%5F%5Fopen-in-editor",
    "/%255F%255Fopen-in-editor",
    "//__open-in-editor",
    "/name/__open-in-editor",
    "/name/name/__open-in-editor/",
    "/__open-in-editor;x",
    "/__open-in-editor.json",
    "/a/../__open-in-editor",
    "/a/%2e%2e/__open-in-editor",
    "/%2F__open-in-editor",
    "/%5C__open-in-editor",
    "/__nextjs_launch-editor",
    "/__nextjs_original-stack-frame",
    "/__nextjs_original-stack-frames",
    "/__nextjs_source-map",
    "/__nextjs_attach-nodejs-inspector",
    "/__nextjs_restart_dev",
    "/__nextjs_server_status",
    "/__nextjs_devtools_config",
    "/__nextjs_disable_dev_indicator",
    "/name/__NEXTJS_LAUNCH-EDITOR",
    "/_next/mcp",
    "/_next/mcp/",
    "/name/_next/%6Dcp",
    "/.well-known/appspecific/com.chrome.devtools.json",
    "/__nuxt_devtools__/client/",
    "/name/__NUXT_DEVTOOLS__/auth-verify",
    "/_vfs",
    "/_vfs.json/",
    "/name/%5Fvfs/nitro/index.mjs",
    "/_nitro/tasks",
    "/_nitro/tasks/db:seed",
    "/storybook-server-channel",
    "/Storybook-Server-Channel",
  ])("blocks %s", (path) => {
    expect(isDevControlPath(path)).toBe(true);
  });

  it.each([
    "/",
    "/src/main.ts",
    "/@vite/client",
    "/@fs/home/app/src/main.ts",
    "/__vite_ping",
    "/__nextjs_font/geist-latin.woff2",
    "/_next/static/chunks/main.js",
    "/_next/webpack-hmr",
    "/_next/hmr",
    "/_next/mcp-docs",
    "/_nuxt/entry.js",
    "/_nitro/other",
    "/vfs",
    "/docs/open-in-editor",
    "/__open-in-editors",
    "/%E0%A4%A",
  ])("lets %s through", (path) => {
    expect(isDevControlPath(path)).toBe(false);
  });
});
