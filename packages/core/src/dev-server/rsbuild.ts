// `captun/rsbuild`: `plugins: [captun()]` in rsbuild.config shares `rsbuild dev`.
import type { CaptunDevOptions } from "./options.ts";
import { type RsbuildPluginApi, setupRsbuildPlugin } from "./rsbuild-hooks.ts";

export type { CaptunDevOptions as CaptunRsbuildOptions } from "./options.ts";

/** Shares `rsbuild dev` on a public URL served by your captun server, HMR included. */
export default function captun(options: CaptunDevOptions = {}): { name: string; setup(api: unknown): void } {
  return { name: "captun", setup: (api) => setupRsbuildPlugin(api as RsbuildPluginApi, options) };
}
