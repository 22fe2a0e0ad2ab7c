// `captun/dev-server`: the framework-agnostic dev-server core the framework adapters build on.

export { devInspectorUrl, serveDevInspector } from "../inspector/dev.ts";
export { inspectorMiddleware, mountInspectorOnServer } from "../inspector/node.ts";
export { accessNote, devAccessPolicy, OWNER_LINK_LABEL } from "./access.ts";
export { exposureLine, publicUrlLine, qrCodeLines } from "./banner.ts";
export { type ChangeGeneration, createChangeGeneration, trackViteChanges } from "./change-generation.ts";
export { type CreateDevTunnelOptions, createDevTunnel, type DevTunnel, type DevTunnelLogger } from "./dev-tunnel.ts";
export { findListeningHttpServer } from "./find-server.ts";
export { CaptunDevServerGoneError, createInjectingAgent, type HttpServerSource, injectConnection } from "./inject.ts";
export type { CaptunDevOptions } from "./options.ts";
export { type DevTunnelProblem, type DevTunnelSettings, projectTunnelName, resolveDevTunnelSettings } from "./settings.ts";
export { CAPTUN_PLUGIN_NAME, captunUnplugin } from "./unplugin.ts";
export { addSharingShortcut, attachToViteServer, viteConfigPatch } from "./vite-hooks.ts";
