// captun for Node: everything the Worker side has, plus the client, the origin fetcher and the
// local server. The README's "Use it from code" lists all of it.

export { type Capture, type CapturedExchange, type CaptureOptions, createCapture } from "./capture.ts";
export { type CaptunTunnel, type CreateCaptunTunnelOptions, createCaptunTunnel } from "./client.ts";
export {
  type CaptunConfig,
  readConfig,
  resolveServerSettings,
  type ServerSettings,
  updateConfig,
} from "./config.ts";
export * from "./index.workerd.ts";
export { type InspectorServer, startInspectorServer } from "./inspector/node.ts";
export { type LocalServer, type LocalServerOptions, startLocalServer } from "./local-server.ts";
export { createOriginFetcher, type OriginFetcherOptions } from "./origin.ts";
export { type KeepTunnelOpenOptions, type KeptTunnel, keepTunnelOpen, type TunnelEvent } from "./persistent-tunnel.ts";
export { createOriginWebSocketConnector, type OriginWebSocketOptions } from "./websocket-origin-connector.ts";
