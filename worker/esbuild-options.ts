// How a captun Worker is bundled: as wrangler does it (ESM, workerd export conditions,
// `cloudflare:*` left to the runtime). Shared by worker/build.ts and the benchmark's probes.
import type { BuildOptions } from "esbuild";

export const workerBuildOptions = {
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2023",
  conditions: ["workerd", "worker", "import"],
  mainFields: ["module", "main"],
  external: ["cloudflare:*"],
  logLevel: "warning",
} satisfies BuildOptions;
