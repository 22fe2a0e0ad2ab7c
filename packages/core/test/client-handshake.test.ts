import type { AddressInfo } from "node:net";
import { expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { createCaptunTunnel } from "../src/client.ts";
import { acceptCaptunTunnelFromSocket } from "../src/server.ts";
import type { MessageSocket } from "../src/transport.ts";

// A Durable Object can call the client's `fetch` in the same moment it accepts the tunnel (a
// visitor was already waiting). Those frames reach the client together with the handshake; a
// client that starts listening only after `await`ing "open" loses them and the visitor hangs.
it("answers a fetch the server sends right behind its handshake", async () => {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  await using _server = { [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  const answers = Array.from({ length: 20 }, (_, round) => ({ round, text: undefined as Promise<string> | undefined }));
  let round = 0;
  server.on("connection", (socket) => {
    const tunnel = acceptCaptunTunnelFromSocket(socket as unknown as MessageSocket, { info: { url: "http://early.test", name: "early" } });
    const entry = answers[round++]!;
    entry.text = tunnel.fetch(new Request(`http://early.test/round-${entry.round}`)).then((response) => response.text());
  });
  const { port } = server.address() as AddressInfo;
  for (const entry of answers) {
    await using _tunnel = await createCaptunTunnel({
      url: `http://127.0.0.1:${port}`,
      fetch: (request) => new Response(new URL(request.url).pathname),
    });
    const text = await Promise.race([entry.text, new Promise((resolve) => setTimeout(() => resolve("no answer within 5 s"), 5_000))]);
    expect(text).toBe(`/round-${entry.round}`);
  }
});
