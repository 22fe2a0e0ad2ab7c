// `captun/internal`: what captun's own Worker needs beyond the public API (wire conversion, error
// pages, access tokens, routing details). Runtime-neutral; no semver promise: import `captun` instead.

export {
  ACCESS_POLICY_HEADER,
  type AccessMode,
  type AccessPolicy,
  accessPolicyHeaders,
  parseAccessPolicyHeader,
  type ServerAccessPolicy,
} from "./access-policy.ts";
export { FRAME_HEADROOM, withFrameHeadroom } from "./body-frames.ts";
export { GENERATION_HEADER } from "./change-generation.ts";
export { type CaptunErrorCode, errorResponse } from "./error-response.ts";
export { HOP_ACCEPT_HEADER, HOP_CODING, HOP_ENCODING_HEADER, HOP_HEADERS, HOP_LENGTH_HEADER } from "./hop-encoding.ts";
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
export * from "./index.workerd.ts";
export { pathMatchesAny, pathMatchesGlob } from "./path-glob.ts";
export {
  DEFAULT_MAX_BODY_BYTES,
  ERROR_HEADER,
  PROTOCOL_HEADER,
  PROTOCOL_VERSION,
  type TunnelInfo,
  WebSocketCloseCode,
} from "./protocol.ts";
export {
  canonicalizeTunnelName,
  routingModeFor,
  shardIndexFor,
} from "./routing.ts";
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
export { isWebSocketUpgrade, offeredSubprotocols } from "./websocket.ts";
