// captun for Node: everything the Worker side has, plus the client.
export * from "./index.workerd.ts";
export { type CaptunTunnel, type CreateCaptunTunnelOptions, createCaptunTunnel } from "./client.ts";
export { createOriginFetcher, type OriginFetcherOptions } from "./origin.ts";
export { type LocalServer, type LocalServerOptions, startLocalServer } from "./local-server.ts";
