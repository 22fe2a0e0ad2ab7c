// The runtime-neutral part of captun: what a Worker or Durable Object can import.
export { CaptunAuthError, CaptunConnectError, CaptunError, type CaptunErrorCode, errorResponse } from "./errors.ts";
export { fromWireResponse, stripHopByHop, toWireRequest } from "./http.ts";
export {
  decodeInboxPatterns,
  encodeInboxPatterns,
  INBOX_ARRIVED_HEADER,
  INBOX_HEADER,
  INBOX_ID_HEADER,
  INBOX_STATUS_HEADER,
  inboxPatternProblem,
  matchesInboxPath,
} from "./inbox-paths.ts";
export { CloseCode, CONNECT_PATH, ERROR_HEADER, type TunnelInfo, WebSocketCloseCode } from "./protocol.ts";
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
