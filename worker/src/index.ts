import { CONNECT_PATH, DEFAULT_MAX_BODY_BYTES, errorResponse, getTunnelNameFromUrl, shardIndexFor } from "captun/internal";
import { type Env, numberSetting } from "./env.ts";

export { CaptunServerShard } from "./shard.ts";

const MAX_URL_LENGTH = 16 * 1024;
const MAX_HEADER_BYTES = 32 * 1024;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.url.length > MAX_URL_LENGTH) return errorResponse(request, 414, "uri-too-long", "The URL is too long.");
    if (headerBytes(request.headers) > MAX_HEADER_BYTES) {
      return errorResponse(request, 431, "headers-too-large", "The request headers are too large.");
    }
    const route = getTunnelNameFromUrl(request.url, env.CUSTOM_HOSTNAME);
    if (!route) return errorResponse(request, 404, "tunnel-not-found", "This captun server has no tunnel at this address.");

    if (route.pathAndQuery.split("?")[0] === CONNECT_PATH) {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return errorResponse(request, 400, "bad-request", "Tunnel clients connect here with a WebSocket.");
      }
      // The shard checks everything else about a connect (connect-guard.ts): it holds the counts.
    } else {
      const length = Number(request.headers.get("content-length") ?? 0);
      const limit = numberSetting(env.MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES);
      if (length > limit) return errorResponse(request, 413, "body-too-large", `Request bodies are limited to ${limit} bytes.`);
    }

    const shard = shardIndexFor(route.name, numberSetting(env.SHARDS, 1));
    const stub = env.CAPTUN_SERVER_SHARD.get(env.CAPTUN_SERVER_SHARD.idFromName(`shard-${shard}`));
    return passEncodingThrough(await stub.fetch(request));
  },
} satisfies ExportedHandler<Env>;

function headerBytes(headers: Headers): number {
  let total = 0;
  for (const [name, value] of headers) total += name.length + value.length + 4;
  return total;
}

/**
 * `encodeBody: "manual"` does not survive the hop from the Durable Object, and without it workerd
 * gzips identity bodies for visitors that accept gzip. (Locally, Miniflare's own entry Worker in
 * front of ours still compresses; on Cloudflare nothing sits in between.) An encoded body is already passed through
 * as it is (re-wrapping it would hand us the decoded bytes), and so are upgrades.
 */
function passEncodingThrough(response: Response): Response {
  if (response.status === 101 || response.webSocket || response.headers.has("content-encoding")) return response;
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    encodeBody: "manual",
  });
}
