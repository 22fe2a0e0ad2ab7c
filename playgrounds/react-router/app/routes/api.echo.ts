// A resource route: what the server sees of the request, and a POST body reversed.
export function loader({ request }: { request: Request }) {
  return Response.json({ url: request.url });
}

export async function action({ request }: { request: Request }) {
  const text = await request.text();
  return Response.json({ received: text.length, reversed: [...text].reverse().join("") });
}
