import { NextResponse } from "next/server";

// Next 16's middleware (`proxy.ts`): marks every response so tests can see it ran.
export function proxy(): NextResponse {
  const response = NextResponse.next();
  response.headers.set("x-playground-proxy", "ran");
  return response;
}
