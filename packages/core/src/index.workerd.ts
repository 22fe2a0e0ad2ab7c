// The runtime-neutral part of captun: what a Worker or Durable Object can import.
export {
  CaptunAuthError,
  CaptunConnectError,
  CaptunError,
  type CaptunErrorCode,
  CaptunProtocolError,
  errorResponse,
} from "./errors.ts";
export { fromWireResponse, stripHopByHop, toWireRequest } from "./http.ts";
export {
  CloseCode,
  CONNECT_PATH,
  ERROR_HEADER,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  type TunnelInfo,
  WebSocketCloseCode,
} from "./protocol.ts";
export {
  canonicalizeTunnelName,
  getTunnelNameFromUrl,
  type RoutingMode,
  routingModeFor,
  shardIndexFor,
  type TunnelRoute,
  tunnelUrlFor,
} from "./routing.ts";
export { bearerSecretMatches } from "./secret.ts";
export { type AcceptedTunnel, type AcceptTunnelOptions, acceptCaptunTunnel, acceptCaptunTunnelFromSocket, type Fetcher } from "./server.ts";
export type { SocketClose } from "./transport.ts";
export {
  type AcceptedWebSocket,
  isWebSocketUpgrade,
  offeredSubprotocols,
  type TunnelWebSocket,
  type WebSocketConnector,
} from "./websocket.ts";
