// The runtime-neutral part of captun: what a Worker or Durable Object can import.
export {
  ACCESS_POLICY_HEADER,
  type AccessMode,
  type AccessPolicy,
  accessPolicyHeaders,
  parseAccessPolicyHeader,
  type ServerAccessPolicy,
} from "./access-policy.ts";
export {
  CaptunAuthError,
  CaptunConnectError,
  CaptunError,
  type CaptunErrorCode,
  CaptunProtocolError,
  errorResponse,
} from "./errors.ts";
export { fromWireResponse, stripHopByHop, toWireRequest } from "./http.ts";
export { pathMatchesAny, pathMatchesGlob } from "./path-glob.ts";
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
export {
  ACCESS_ADMIN_PATH,
  ACCESS_COOKIE,
  type AccessClaims,
  type AccessKey,
  type CreateShareLinkOptions,
  createShareLink,
  deriveAccessKey,
  PASSCODE_PATH,
  passcodeVerifier,
  SHARE_PARAM,
  signAccessToken,
  verifyAccessToken,
} from "./share-link.ts";
export type { SocketClose } from "./transport.ts";
export {
  type AcceptedWebSocket,
  isWebSocketUpgrade,
  offeredSubprotocols,
  type TunnelWebSocket,
  type WebSocketConnector,
} from "./websocket.ts";
