import { type AcceptedTunnel, acceptCaptunTunnel, bearerSecretMatches, CloseCode, type Fetcher } from "captun";

/**
 * The Durable Object's way out to the internet. Normally the global `fetch`; while a test has a
 * tunnel attached, every call goes down that tunnel instead and the test answers it.
 *
 * It lives in the Durable Object, not the Worker, because a tunnel is an in-memory session: only
 * a Durable Object guarantees that the request attaching it and the requests using it meet in
 * the same instance.
 */
export class Egress {
  #tunnel: AcceptedTunnel | undefined;

  /** Whether a tunnel currently intercepts egress. */
  get intercepted(): boolean {
    return this.#tunnel !== undefined;
  }

  /**
   * Accepts a tunnel connect presenting `Authorization: Bearer <secret>`; the newest attachment
   * wins and the previous one is told so. Without a secret the path does not exist (404), so
   * nobody can take over production egress.
   */
  async attach(request: Request, secret: string | undefined): Promise<Response> {
    if (!secret) return new Response("Not found\n", { status: 404 });
    if (!(await bearerSecretMatches(request, secret))) return new Response("Wrong or missing egress secret\n", { status: 401 });
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Attach an egress tunnel here with createCaptunTunnel()\n", { status: 400 });
    }
    const { response, tunnel } = acceptCaptunTunnel(request, {
      onDisconnect: () => {
        // A replaced tunnel disconnects after its successor attached: leave the successor alone.
        if (this.#tunnel === tunnel) this.#tunnel = undefined;
      },
    });
    const previous = this.#tunnel;
    this.#tunnel = tunnel;
    previous?.close(CloseCode.replaced, "replaced by a newer egress tunnel");
    return response;
  }

  /** `fetch` for outgoing calls: down the tunnel while one is attached, else to the network. */
  readonly fetch: Fetcher = async (request) => {
    if (!this.#tunnel) return fetch(request);
    try {
      return await this.#tunnel.fetch(request);
    } catch (error) {
      // Name the tunnel, or a test author would go looking for a network problem.
      throw new Error(`the egress tunnel could not answer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  };
}
