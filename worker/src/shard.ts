import { DurableObject } from "cloudflare:workers";
import {
  type AcceptedTunnel,
  acceptCaptunTunnel,
  CloseCode,
  CONNECT_PATH,
  DEFAULT_MAX_BODY_BYTES,
  errorResponse,
  GENERATION_HEADER,
  getTunnelNameFromUrl,
  HOP_HEADERS,
  INBOX_ARRIVED_HEADER,
  INBOX_HEADER,
  INBOX_ID_HEADER,
  isWebSocketUpgrade,
  tunnelUrlFor,
} from "captun/internal";
import { TunnelAccessGate } from "./access/gate.ts";
import { dropUnread } from "./bounded-body.ts";
import { ConnectGuard } from "./connect-guard.ts";
import { EdgeCache } from "./edge-cache.ts";
import { type Env, numberSetting } from "./env.ts";
import { TunnelInbox } from "./inbox.ts";
import { DEFAULT_MAX_REQUESTS_IN_FLIGHT, InFlightLimit } from "./limits.ts";
import { tunnelOffline } from "./reconnecting-page.ts";
import { coalescedRequestBody } from "./request-body.ts";
import { TunnelRegistry } from "./tunnel-registry.ts";
import { scopeResponse } from "./tunnel-scope.ts";
import { headersForOrigin } from "./visitor-headers.ts";

/** Only the shard and its client set these (a late delivery, hop compression, a change generation): a visitor must not fake one. */
const SHARD_ONLY_HEADERS = [INBOX_ID_HEADER, INBOX_ARRIVED_HEADER, GENERATION_HEADER, ...HOP_HEADERS];

/**
 * Holds the connected tunnels for the names that hash to this shard, and answers public requests
 * for them. Sockets are accepted the standard way, not hibernatable: a Cap'n Web session lives in
 * memory and would not survive hibernation.
 */
export class CaptunServerShard extends DurableObject<Env> {
  readonly #tunnels = new TunnelRegistry(holdSetting(this.env.RECONNECT_HOLD_MS));
  readonly #access = new TunnelAccessGate(this.ctx.storage, this.env);
  readonly #guard = new ConnectGuard(this.env);
  readonly #inFlight = new InFlightLimit(numberSetting(this.env.MAX_REQUESTS_IN_FLIGHT, DEFAULT_MAX_REQUESTS_IN_FLIGHT));
  readonly #inbox = new TunnelInbox(this.ctx.storage, this.env, (name) => this.#tunnels.get(name));
  readonly #cache = new EdgeCache(this.env);

  override async fetch(request: Request): Promise<Response> {
    const response = await this.#answer(request);
    // A body nobody took (captun answered in the origin's place: 401, 503, 404…) is read and
    // dropped, within a bound, before the answer goes: workerd closing a connection with request
    // bytes unread resets it, and the reset can destroy the answer before the visitor reads it.
    if (request.body && !request.body.locked) await dropUnread(request.body);
    return response;
  }

  async #answer(request: Request): Promise<Response> {
    const route = getTunnelNameFromUrl(request.url, this.env.CUSTOM_HOSTNAME);
    if (!route) return errorResponse(request, 404, "tunnel-not-found", "This captun server has no tunnel at this address.");
    if (route.pathAndQuery.split("?")[0] === CONNECT_PATH) {
      // The secret first: nothing else about a connect is looked at for strangers.
      return (
        (await this.#guard.admit(request, route.name)) ?? this.#access.connected(request, route.name) ?? this.#connect(request, route.name)
      );
    }
    const denied = await this.#access.check(request, route);
    if (denied) return denied;
    const folder = this.env.CUSTOM_HOSTNAME ? undefined : `/${route.name}`;
    const response = await this.#inFlight.run(route.name, request, () => this.#forward(request, route.name, route.pathAndQuery));
    return scopeResponse(response, { folder, hostname: new URL(request.url).hostname, originPath: route.pathAndQuery });
  }

  #connect(request: Request, name: string): Response {
    const origin = new URL(request.url).origin;
    const url = this.env.CUSTOM_HOSTNAME ? origin : tunnelUrlFor(origin, name);
    const { response, tunnel } = acceptCaptunTunnel(request, {
      info: { url, name },
      onLeaving: () => this.#tunnels.remove(name, tunnel, "left"),
      onDisconnect: (close) => this.#tunnels.remove(name, tunnel, close.code === CloseCode.silent ? "silent" : "left"),
    });
    const previous = this.#tunnels.add(name, tunnel);
    // Make-before-break: new requests already go to the new client; the old one finishes its own.
    if (previous) void closeWhenIdle(previous, numberSetting(this.env.REPLACED_DRAIN_MS, 30_000));
    void this.#inbox.connected(name, request.headers.get(INBOX_HEADER));
    return response;
  }

  async #forward(request: Request, name: string, pathAndQuery: string): Promise<Response> {
    const publicUrl = new URL(request.url);
    const headers = headersForOrigin(request, publicUrl);
    for (const header of SHARD_ONLY_HEADERS) headers.delete(header);
    this.#access.scrub(name, headers);
    const queued = await this.#inbox.intercept(request, name, pathAndQuery, headers);
    if (queued) return queued;
    const idempotent = request.method === "GET" || request.method === "HEAD";
    const tunnel = this.#tunnels.get(name) ?? (idempotent ? await this.#tunnels.waitFor(name, request.signal) : undefined);
    if (!tunnel) return tunnelOffline(request);
    // After the access gate (fetch): the cache never answers a visitor the tunnel would refuse.
    const upgrade = isWebSocketUpgrade(request);
    const exchange = upgrade ? undefined : this.#cache.begin(name, tunnel, request, headers, publicUrl.origin + pathAndQuery);
    if (exchange?.hit) return exchange.hit;

    const limit = numberSetting(this.env.MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES);
    let tooLarge = false;
    let idle = false;
    const idleMs = numberSetting(this.env.BODY_IDLE_TIMEOUT_MS, 30_000);
    const declaredLength = Number(request.headers.get("content-length") ?? Number.NaN);
    const body =
      request.body &&
      coalescedRequestBody(
        request.body,
        limit,
        declaredLength,
        () => {
          tooLarge = true;
        },
        { ms: idleMs, onIdle: () => (idle = true) },
      );
    const forwarded = new Request(publicUrl.origin + pathAndQuery, { method: request.method, headers, body, redirect: "manual" });

    const timeoutMs = numberSetting(this.env.HEADERS_TIMEOUT_MS, 100_000);
    const gaveUp = new AbortController();
    const timer = setTimeout(() => gaveUp.abort(new DOMException("origin-timeout", "TimeoutError")), timeoutMs);
    try {
      // The signal cancels what the client answers too late (504) or for nobody (visitor gone,
      // 413): an upgrade's origin socket, or a response stream and its flow-control window.
      // An upgrade is bridged as a WebSocket (protocol.ts); its refusal is an ordinary response.
      const signalled = new Request(forwarded, { signal: AbortSignal.any([request.signal, gaveUp.signal]) });
      return await (exchange ? tunnel.fetch(signalled).then((response) => exchange.settle(response)) : tunnel.connectWebSocket(signalled));
    } catch {
      if (gaveUp.signal.aborted) {
        return errorResponse(request, 504, "origin-timeout", `The tunnel's origin sent no response within ${timeoutMs / 1000} s.`);
      }
      if (tooLarge) return errorResponse(request, 413, "body-too-large", `Request bodies are limited to ${limit} bytes.`);
      if (idle) return errorResponse(request, 408, "body-timeout", `The request body sent nothing for ${idleMs / 1000} s.`);
      if (await sessionEnded(tunnel)) {
        return errorResponse(
          request,
          502,
          "tunnel-dropped",
          "The tunnel's client went away before it answered (it stopped responding or disconnected).",
        );
      }
      return errorResponse(request, 502, "origin-error", "The tunnel's client could not get a response from its origin.");
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Whether `tunnel`'s session has ended, asked after a call on it failed. A closing socket fails the
 * session's calls and settles `closed` in the same turn (transport.ts), so one timer tick tells a
 * client that went away from an origin that refused.
 */
function sessionEnded(tunnel: AcceptedTunnel): Promise<boolean> {
  return Promise.race([tunnel.closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, 0, false))]);
}

/** RECONNECT_HOLD_MS, where "0" is a valid choice (no holding). */
function holdSetting(value: string | undefined): number {
  return value === "0" ? 0 : numberSetting(value, 10_000);
}

/** Closes a replaced tunnel once its requests in flight have ended, or after `limitMs`. */
async function closeWhenIdle(tunnel: AcceptedTunnel, limitMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  await Promise.race([tunnel.idle(), new Promise((resolve) => (timer = setTimeout(resolve, limitMs))), tunnel.closed]);
  if (timer !== null) clearTimeout(timer);
  tunnel.close(CloseCode.replaced, "replaced by a newer client for this name");
}
