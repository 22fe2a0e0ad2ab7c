import { json } from "@sveltejs/kit";
import type { RequestHandler } from "./$types";

// An API route: what SvelteKit sees of the request (URL, visitor address) and its body reversed.
export const GET: RequestHandler = ({ url, getClientAddress }) => json({ url: url.href, clientAddress: getClientAddress() });

export const POST: RequestHandler = async ({ request }) => {
  const text = await request.text();
  return json({ received: text.length, reversed: [...text].reverse().join("") });
};
