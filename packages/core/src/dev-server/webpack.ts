// `captun/webpack`: `plugins: [captun()]` in webpack.config shares `webpack serve` (webpack-dev-server).
import type { CaptunDevOptions } from "./options.ts";
import { captunUnplugin } from "./unplugin.ts";

export type { CaptunDevOptions as CaptunWebpackOptions } from "./options.ts";

/** Shares webpack-dev-server on a public URL served by your captun server, HMR included. */
const captun: (options?: CaptunDevOptions) => { apply(compiler: unknown): void } = captunUnplugin.webpack as never;
export default captun;
