import type { APIEvent } from "@solidjs/start/server";

// An API route: what the server sees of the request, and a POST body reversed.
export function GET({ request }: APIEvent) {
  return Response.json({ url: request.url });
}

export async function POST({ request }: APIEvent) {
  const text = await request.text();
  return Response.json({ received: text.length, reversed: [...text].reverse().join("") });
}
