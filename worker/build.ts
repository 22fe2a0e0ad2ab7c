// Bundles the Worker the same way wrangler does (workerd export conditions, ESM) so tests, the
// local server and benchmarks run exactly the code `captun deploy` ships.
import { build } from "esbuild";
import { workerBuildOptions } from "./esbuild-options.ts";

await build({
  ...workerBuildOptions,
  entryPoints: [new URL("./src/index.ts", import.meta.url).pathname],
  outfile: new URL("../packages/core/dist/worker/captun-worker.js", import.meta.url).pathname,
  sourcemap: true,
});
