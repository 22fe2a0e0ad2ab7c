// captun in a Worker or Durable Object (the `workerd` export condition): accept tunnels and route
// public URLs. Runtime-neutral: no \`node:\` imports. The README's "Use it from code" lists all of it.
export { CaptunAuthError, CaptunConnectError, CaptunError, CaptunProtocolError } from "./errors.ts";
export { CloseCode, CONNECT_PATH, type Fetcher } from "./protocol.ts";
export { getTunnelNameFromUrl, type RoutingMode, type TunnelRoute, tunnelUrlFor } from "./routing.ts";
export { bearerSecretMatches } from "./secret.ts";
export { type AcceptedTunnel, type AcceptTunnelOptions, acceptCaptunTunnel, acceptCaptunTunnelFromSocket } from "./server.ts";
export type { SocketClose } from "./transport.ts";
export type { AcceptedWebSocket, TunnelWebSocket, WebSocketConnector } from "./websocket.ts";
