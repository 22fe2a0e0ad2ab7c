import { errorResponse } from "captun/internal";

/** Seconds a visitor is told to wait before trying again. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The answer when no client serves a name: 503 + `Retry-After` + `x-captun-error: tunnel-offline`.
 * A browser navigation gets a small page that checks every 2 s whether the tunnel is back and then
 * reloads itself (a meta refresh does the same without JavaScript). The page is identical for names
 * never seen, so it reveals nothing about which names exist.
 */
export function tunnelOffline(request: Request): Response {
  const headers = { "retry-after": String(RETRY_AFTER_SECONDS) };
  const accept = request.headers.get("accept") ?? "";
  const response = errorResponse(request, 503, "tunnel-offline", "No client is connected for this tunnel right now.", headers);
  if (request.method !== "GET" || !accept.includes("text/html")) return response;
  return new Response(PAGE, { status: 503, headers: response.headers });
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta http-equiv="refresh" content="${RETRY_AFTER_SECONDS * 3}">
<title>Reconnecting…</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:20vh auto;max-width:32em;padding:0 1em;color:#333}</style>
</head><body>
<h1>Reconnecting…</h1>
<p>This tunnel's client is not connected right now. This page reloads by itself as soon as it is back.</p>
<p><small>captun · 503 Service Unavailable</small></p>
<script>
const check = async () => {
  try {
    const r = await fetch(location.href, { method: "HEAD", cache: "no-store" });
    if (r.headers.get("x-captun-error") !== "tunnel-offline") return location.reload();
  } catch {}
  setTimeout(check, 2000);
};
setTimeout(check, 2000);
</script>
</body></html>
`;
