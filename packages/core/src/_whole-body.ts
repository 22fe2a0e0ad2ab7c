/**
 * Responses whose body captun built itself from bytes it holds (a body compressed whole for the
 * hop). Handing such a response to the tunnel would otherwise read those bytes back through a
 * stream — pulls, promises and a wait timer per response, on the laptop's one thread, for every
 * module of a dev page — to learn what is already known.
 */
const wholeBodies = new WeakMap<Response, Uint8Array<ArrayBuffer>>();

/** A response with `bytes` as its body, remembered as complete. */
export function responseWithBytes(bytes: Uint8Array<ArrayBuffer>, init: ResponseInit): Response {
  const response = new Response(bytes, init);
  wholeBodies.set(response, bytes);
  return response;
}

/** The bytes of a response made by {@link responseWithBytes} whose body nobody has read yet. */
export function wholeBodyOf(response: Response): Uint8Array<ArrayBuffer> | undefined {
  const bytes = wholeBodies.get(response);
  return bytes && !response.bodyUsed ? bytes : undefined;
}
