// Bundles the Worker the way wrangler does (workerd export conditions, ESM, `cloudflare:*` left to
// the runtime), so the tests run the same code `wrangler deploy` would ship.
import { build } from "esbuild";

/** Returns the bundled Worker module as text. */
export async function bundleWorker(): Promise<string> {
  const result = await build({
    entryPoints: [new URL("./src/index.ts", import.meta.url).pathname],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2023",
    conditions: ["workerd", "worker", "import"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*"],
    logLevel: "warning",
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error("esbuild produced no Worker bundle");
  return output.text;
}
