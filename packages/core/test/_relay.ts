// A TCP relay between a tunnel client and its server that can stop forwarding without closing:
// what a half-open link, a sleeping laptop's NAT entry or a proxy that keeps TCP up looks like.

import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";

export interface Relay extends AsyncDisposable {
  /** `http://localhost:<port>`: the server URL to give the client. */
  url: string;
  /** Connections open now stop forwarding in both directions, and stay open; new ones work. */
  blackhole(): void;
  /** Connections made so far. */
  readonly connections: number;
}

export async function startRelay(target: string): Promise<Relay> {
  const { hostname, port } = new URL(target);
  const host = hostname === "localhost" ? "127.0.0.1" : hostname;
  const pairs = new Set<[Socket, Socket]>();
  let connections = 0;
  const server = createServer((visitor) => {
    connections++;
    const upstream = new (visitor.constructor as typeof Socket)();
    upstream.connect(Number(port), host);
    const pair: [Socket, Socket] = [visitor, upstream];
    pairs.add(pair);
    visitor.pipe(upstream).pipe(visitor);
    const end = () => {
      pairs.delete(pair);
      visitor.destroy();
      upstream.destroy();
    };
    visitor.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const relayPort = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${relayPort}`,
    blackhole() {
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        // Keep reading and drop what arrives, so neither side sees backpressure or a close.
        a.on("data", () => {});
        b.on("data", () => {});
      }
    },
    get connections() {
      return connections;
    },
    async [Symbol.asyncDispose]() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
