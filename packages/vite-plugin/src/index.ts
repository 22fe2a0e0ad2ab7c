// @captun/vite: `plugins: [captun()]`. All behaviour lives in captun's dev-server core.
import { type CaptunDevOptions, captunUnplugin } from "captun/dev-server";

export type { CaptunDevOptions as CaptunViteOptions } from "captun/dev-server";

/** Shares the Vite dev server (and `vite preview`) on a public URL served by your captun server. */
const captun: (options?: CaptunDevOptions) => import("vite").Plugin | import("vite").Plugin[] = captunUnplugin.vite;
export default captun;
