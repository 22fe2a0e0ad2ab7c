// Request-side helpers of the inbox (inbox.ts): what gets stored, within which limits.
import { errorResponse } from "captun/internal";

/** `promise`, or a rejection after `ms` (an origin that never answers must not stall its inbox). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("origin-timeout")), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export function tooLarge(request: Request, limit: number): Response {
  return errorResponse(request, 413, "body-too-large", `Requests kept in this tunnel's inbox are limited to ${limit} bytes.`);
}
