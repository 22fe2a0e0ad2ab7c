export const dynamic = "force-dynamic";

export function GET(request: Request): Response {
  const url = new URL(request.url);
  return Response.json({ hello: "from a route handler", path: url.pathname, host: request.headers.get("host") });
}
