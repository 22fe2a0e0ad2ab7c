import type { APIRoute } from "astro";

// An on-demand endpoint: what the request looked like when it reached Astro.
export const prerender = false;

export const GET: APIRoute = ({ url, clientAddress, request }) =>
  Response.json({
    url: url.href,
    clientAddress,
    forwardedFor: request.headers.get("x-forwarded-for"),
    forwardedHost: request.headers.get("x-forwarded-host"),
    forwardedProto: request.headers.get("x-forwarded-proto"),
  });

export const POST: APIRoute = async ({ request }) => {
  const text = await request.text();
  return Response.json({ received: text.length, reversed: [...text].reverse().join("") });
};
