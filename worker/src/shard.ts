import { DurableObject } from "cloudflare:workers";
import {
  type AcceptedTunnel,
  acceptCaptunTunnel,
  CloseCode,
  CONNECT_PATH,
  errorResponse,
  getTunnelNameFromUrl,
  INBOX_ARRIVED_HEADER,
  INBOX_HEADER,
  INBOX_ID_HEADER,
  isWebSocketUpgrade,
  stripHopByHop,
  tunnelUrlFor,
} from "captun";
import { type Env, numberSetting } from "./env.ts";
import { TunnelInbox } from "./inbox.ts";
import { coalescedRequestBody } from "./request-body.ts";

/** Headers a visitor could use to lie about where a request came from. */
const FORWARDING_HEADERS = ["forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "x-real-ip"];
/** Only the shard's inbox sets these (a late delivery): a visitor must not fake one. */
const INBOX_HEADERS = [INBOX_ID_HEADER, INBOX_ARRIVED_HEADER];

/**
 * Holds the connected tunnels for the names that hash to this shard, and answers public requests
 * for them. Sockets are accepted the standard way, not hibernatable: a Cap'n Web session lives in
 * memory and would not survive hibernation.
 */
export class CaptunServerShard extends DurableObject<Env> {
  readonly #tunnels = new Map<string, AcceptedTunnel>();
  readonly #inbox = new TunnelInbox(this.ctx.storage, this.env, (name) => this.#tunnels.get(name));

  override async fetch(request: Request): Promise<Response> {
    const route = getTunnelNameFromUrl(request.url, this.env.CUSTOM_HOSTNAME);
    if (!route) return errorResponse(request, 404, "tunnel-not-found", "This captun server has no tunnel at this address.");
    if (route.pathAndQuery.split("?")[0] === CONNECT_PATH) return this.#connect(request, route.name);
    return this.#forward(request, route.name, route.pathAndQuery);
  }

  #connect(request: Request, name: string): Response {
    const origin = new URL(request.url).origin;
    const url = this.env.CUSTOM_HOSTNAME ? origin : tunnelUrlFor(origin, name);
    const { response, tunnel } = acceptCaptunTunnel(request, {
      info: { url, name },
      onDisconnect: () => {
        // A replaced session closes late: only forget the name if it is still ours.
        if (this.#tunnels.get(name) === tunnel) this.#tunnels.delete(name);
      },
    });
    const previous = this.#tunnels.get(name);
    this.#tunnels.set(name, tunnel);
    previous?.close(CloseCode.replaced, "replaced by a newer client for this name");
    void this.#inbox.connected(name, request.headers.get(INBOX_HEADER));
    return response;
  }

  async #forward(request: Request, name: string, pathAndQuery: string): Promise<Response> {
    const queued = await this.#inbox.intercept(request, name, pathAndQuery);
    if (queued) return queued;
    const tunnel = this.#tunnels.get(name);
    if (!tunnel) {
      return errorResponse(request, 503, "tunnel-offline", "No client is connected for this tunnel right now.", { "retry-after": "5" });
    }
    const publicUrl = new URL(request.url);
    const headers = stripHopByHop(new Headers(request.headers));
    for (const header of [...FORWARDING_HEADERS, ...INBOX_HEADERS]) headers.delete(header);
    const visitorIp = request.headers.get("cf-connecting-ip");
    if (visitorIp) headers.set("x-forwarded-for", visitorIp);
    headers.set("x-forwarded-proto", publicUrl.protocol.slice(0, -1));
    headers.set("x-forwarded-host", publicUrl.host);

    const limit = numberSetting(this.env.MAX_BODY_BYTES, 100_000_000);
    let tooLarge = false;
    const declaredLength = Number(request.headers.get("content-length") ?? Number.NaN);
    const body =
      request.body &&
      coalescedRequestBody(request.body, limit, declaredLength, () => {
        tooLarge = true;
      });
    const forwarded = new Request(publicUrl.origin + pathAndQuery, { method: request.method, headers, body, redirect: "manual" });

    const timeoutMs = numberSetting(this.env.HEADERS_TIMEOUT_MS, 100_000);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new AbortController();
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => {
        resolve("timeout");
        gaveUp.abort(new DOMException("origin-timeout", "TimeoutError"));
      }, timeoutMs);
    });
    try {
      // An upgrade is bridged as a WebSocket (protocol.ts); its refusal is an ordinary response.
      // Its signal tells the client to drop an origin socket nobody will take (504, visitor gone).
      const answer = isWebSocketUpgrade(request)
        ? tunnel.connectWebSocket(new Request(forwarded, { signal: AbortSignal.any([request.signal, gaveUp.signal]) }))
        : tunnel.fetch(forwarded);
      const response = await Promise.race([answer, deadline]);
      if (response === "timeout") {
        return errorResponse(request, 504, "origin-timeout", `The tunnel's origin sent no response within ${timeoutMs / 1000} s.`);
      }
      return response;
    } catch {
      if (tooLarge) return errorResponse(request, 413, "body-too-large", `Request bodies are limited to ${limit} bytes.`);
      return errorResponse(request, 502, "origin-error", "The tunnel's client could not get a response from its origin.");
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}
