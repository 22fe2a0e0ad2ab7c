// `captun/rspack`: `plugins: [captun()]` in rspack.config shares `rspack serve` (@rspack/dev-server).
// Rsbuild runs a dev server of its own: its plugin is `captun/rsbuild`.
import type { CaptunDevOptions } from "./options.ts";
import { captunUnplugin } from "./unplugin.ts";

export type { CaptunDevOptions as CaptunRspackOptions } from "./options.ts";

/** Shares the Rspack dev server on a public URL served by your captun server, HMR included. */
const captun: (options?: CaptunDevOptions) => { apply(compiler: unknown): void } = captunUnplugin.rspack as never;
export default captun;
