// captun's build: the Node entries and the Worker entry, each with Cap'n Web bundled in, so the
// flow-control fix in patches/capnweb@0.12.0.patch reaches everyone who installs `captun`
// (docs/upstream/capnweb-flow-control.md). Declarations are bundled too, Cap'n Web's types included.
import { defineConfig, type UserConfig } from "tsdown";

/**
 * Some sources find files relative to `import.meta.url`: local-server.ts the Worker bundle at
 * `./worker/` (dist/), cli/vite.ts and cli/main.ts the dev-server entry and package.json one folder
 * deep (like dist/cli/). Shared chunks keep those depths: the one holding local-server.ts sits in
 * dist/, every other chunk in dist/_chunks/.
 */
function chunkFileNames(chunk: { moduleIds: string[] }): string {
  return chunk.moduleIds.some((id) => id.endsWith("/src/local-server.ts")) ? "[name].js" : "_chunks/[name].js";
}

const shared = {
  format: "esm",
  target: "es2023",
  fixedExtension: false,
  hash: false,
  sourcemap: false,
  checks: { pluginTimings: false },
  dts: true,
  deps: {
    alwaysBundle: ["capnweb"],
    // Anything else bundled from node_modules is a mistake: fail the build instead.
    onlyBundle: ["capnweb"],
    dts: { alwaysBundle: ["capnweb"] },
  },
  outputOptions: { chunkFileNames },
} satisfies UserConfig;

export default defineConfig([
  {
    ...shared,
    name: "node",
    platform: "node",
    entry: {
      index: "src/index.ts",
      "dev-server/index": "src/dev-server/index.ts",
      "dev-server/webpack": "src/dev-server/webpack.ts",
      "dev-server/rspack": "src/dev-server/rspack.ts",
      "dev-server/rsbuild": "src/dev-server/rsbuild.ts",
      "cli/index": "src/cli/index.ts",
    },
  },
  {
    ...shared,
    name: "workerd",
    platform: "neutral",
    entry: { "index.workerd": "src/index.workerd.ts", internal: "src/internal.ts" },
    // Cap'n Web's workerd build, as wrangler would pick it for a Worker that imports `captun`.
    inputOptions: { resolve: { conditionNames: ["workerd", "worker", "import"] } },
    deps: { ...shared.deps, neverBundle: [/^cloudflare:/] },
    // `captun` and `captun/internal` share one copy of everything (one Cap'n Web in a Worker), in
    // chunks of their own: the Node build's chunks of the same names hold Node builds of them.
    outputOptions: { chunkFileNames: "_workerd/[name].js" },
  },
]);
