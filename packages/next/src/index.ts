// @captun/next: `export default withCaptun(nextConfig)`. All tunnel behaviour lives in captun's
// dev-server core; this wraps the config and finds the running dev server.
import { resolveDevTunnelSettings } from "captun/dev-server";
import type { NextConfig } from "next";
import { withTunnelConfig } from "./config-patch.ts";
import type { CaptunNextOptions } from "./options.ts";
import { processState, shareServingProcess, warnNotShared } from "./share.ts";

export type { CaptunNextOptions } from "./options.ts";

/** What next.config may export: a config, or a function of the phase returning one. */
export type NextConfigInput = NextConfig | ((phase: string, context: { defaultConfig: NextConfig }) => NextConfig | Promise<NextConfig>);

/** The form `withCaptun` returns; Next calls it with the phase it runs in. */
export type NextConfigFunction = (phase: string, context: { defaultConfig: NextConfig }) => Promise<NextConfig>;

// Next's `PHASE_DEVELOPMENT_SERVER`, spelled out so nothing is imported from `next` at runtime.
const DEVELOPMENT_PHASE = "phase-development-server";

/**
 * Shares `next dev` (Turbopack or webpack) on a public URL served by your captun server. Outside
 * `next dev`, or with `enabled: false`, the config comes back exactly as you wrote it.
 */
export function withCaptun(config: NextConfigInput = {}, options: CaptunNextOptions = {}): NextConfigFunction {
  return async (phase, context) => {
    const resolved = typeof config === "function" ? await config(phase, context) : config;
    if (phase !== DEVELOPMENT_PHASE || options.enabled === false) return resolved;
    const state = processState();
    state.settings ??= resolveDevTunnelSettings(options, process.cwd());
    const settings = await state.settings;
    if ("problem" in settings) {
      warnNotShared(settings.problem);
      return resolved;
    }
    shareServingProcess(settings, options);
    return withTunnelConfig(settings, resolved);
  };
}

export default withCaptun;
