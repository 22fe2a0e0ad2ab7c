// The connect door, tried as an attacker would: from a web page, against a server without a
// secret, with another protocol version, and by guessing secrets from many addresses.
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { createCaptunTunnel } from "../src/client.ts";
import { keepTunnelOpen, type TunnelEvent } from "../src/persistent-tunnel.ts";
import { PROTOCOL_VERSION } from "../src/protocol.ts";
import { acceptCaptunTunnelFromSocket } from "../src/server.ts";
import type { MessageSocket } from "../src/transport.ts";
import { rawConnect, visitFrom } from "./_attacker.ts";
import { startTestServer, type TestServer, uniqueName, visit } from "./_harness.ts";

/** A tunnel that answers with its name, to show it still serves after each attack. */
async function answeringTunnel(server: TestServer, name = uniqueName("keep")) {
  return createCaptunTunnel({ url: server.tunnelUrl(name), secret: server.secret, fetch: () => new Response(`tunnel ${name}`) });
}

async function expectServing(tunnel: { url: string; name: string | undefined }) {
  const response = await visit(`${tunnel.url}/`);
  expect(response.status).toBe(200);
  expect(await response.text()).toBe(`tunnel ${tunnel.name}`);
}

describe("connects from a web page", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server[Symbol.asyncDispose]());

  it("are refused with 403 for any browser Origin, even with the right secret, and replace nothing", async () => {
    const name = uniqueName("web");
    await using tunnel = await answeringTunnel(server, name);
    for (const origin of ["https://evil.example", "null", server.tunnelUrl(name)]) {
      const answer = await rawConnect(server.tunnelUrl(name), server.secret, { origin });
      expect(answer.status).toBe(403);
      expect(answer.headers["x-captun-error"]).toBe("cross-site-connect");
    }
    await expectServing(tunnel);
  });
});

describe("a server without CONNECT_SECRET", () => {
  it("refuses every connect and says how to set one; the client does not retry", async () => {
    await using server = await startTestServer({ vars: { CONNECT_SECRET: "" } });
    for (const secret of [undefined, "", "anything"]) {
      const answer = await rawConnect(server.tunnelUrl(uniqueName("open")), secret);
      expect(answer.status).toBe(503);
      expect(answer.headers["x-captun-error"]).toBe("connect-secret-unset");
      expect(answer.body).toContain("wrangler secret put CONNECT_SECRET");
    }
    const error = await createCaptunTunnel({ url: server.tunnelUrl(uniqueName("open")), fetch: () => new Response() }).catch(
      (e: Error) => e,
    );
    expect(error).toMatchObject({ name: "CaptunAuthError" });
    expect((error as Error).message).toMatch(/captun deploy/);
  });
});

describe("protocol versions", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server[Symbol.asyncDispose]());

  it("a client of another version is refused at connect with 426, saying which side to update", async () => {
    await using tunnel = await answeringTunnel(server);
    const newer = await rawConnect(server.tunnelUrl(uniqueName("v")), server.secret, { "captun-protocol": String(PROTOCOL_VERSION + 1) });
    expect(newer.status).toBe(426);
    expect(newer.headers["x-captun-error"]).toBe("protocol-mismatch");
    expect(newer.body).toMatch(/Update the server/);
    const older = await rawConnect(server.tunnelUrl(uniqueName("v")), server.secret, { "captun-protocol": String(PROTOCOL_VERSION - 1) });
    expect(older.status).toBe(426);
    expect(older.body).toMatch(/Update the client/);
    await expectServing(tunnel);
  });

  it("a client meeting a newer server stops at once with CaptunProtocolError, without retrying", async () => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((resolve) => wss.once("listening", resolve));
    await using _wss = { [Symbol.asyncDispose]: () => new Promise<void>((resolve) => wss.close(() => resolve())) };
    let connects = 0;
    wss.on("connection", (socket) => {
      connects++;
      acceptCaptunTunnelFromSocket(socket as unknown as MessageSocket, {
        info: { url: "http://newer.test", protocol: PROTOCOL_VERSION + 1 },
      });
    });
    const url = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const error = await createCaptunTunnel({ url, fetch: () => new Response() }).catch((e: Error) => e);
    expect(error).toMatchObject({ name: "CaptunProtocolError" });
    expect((error as Error).message).toMatch(/update the client/);

    const events: TunnelEvent["type"][] = [];
    await using kept = keepTunnelOpen({ url, fetch: () => new Response(), minDelayMs: 10, onEvent: (event) => events.push(event.type) });
    await kept.stopped;
    expect(events).toEqual(["incompatible", "closed"]);
    expect(connects).toBe(2);
  });
});

describe("guessing the secret", () => {
  // Small budgets and a short window so the test sees a budget run out and come back.
  const vars = { CONNECT_FAILURES_PER_ADDRESS: "2", CONNECT_FAILURES_PER_NAME: "4", CONNECT_FAILURE_WINDOW_MS: "2000" };
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ vars });
  });
  afterAll(() => server[Symbol.asyncDispose]());

  it("is throttled per address with 429 + Retry-After, without checking guesses; the right secret gets in again after a short wait", async () => {
    await using bystander = await answeringTunnel(server);
    const url = server.tunnelUrl(uniqueName("guess"));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await rawConnect(url, `guess-${i}`, {}, "127.0.0.5")).status);
    expect(statuses).toEqual([401, 401, 429, 429, 429, 429]);
    const throttled = await rawConnect(url, server.secret, {}, "127.0.0.5");
    expect(throttled.status).toBe(429);
    expect(throttled.headers["x-captun-error"]).toBe("too-many-attempts");
    expect(Number(throttled.headers["retry-after"])).toBeGreaterThan(0);
    expect(throttled.body).not.toContain(server.secret);
    // Another visitor is not held back by this one's guesses.
    expect((await rawConnect(server.tunnelUrl(uniqueName("other")), server.secret, {}, "127.0.0.6")).status).toBe(101);
    // One failure comes back every window / budget (1 s here): then the right secret works.
    await expect
      .poll(async () => (await rawConnect(url, server.secret, {}, "127.0.0.5")).status, { timeout: 5_000, interval: 250 })
      .toBe(101);
    await expectServing(bystander);
  });

  it("is throttled per name across addresses, except for an address that proved the secret for that name", async () => {
    const name = uniqueName("target");
    await using owner = await answeringTunnel(server, name);
    await expectServing(owner);
    // Two attackers, two guesses each: the name's budget of four is gone.
    for (const from of ["127.0.0.11", "127.0.0.12"]) {
      for (let i = 0; i < 2; i++) expect((await rawConnect(server.tunnelUrl(name), `guess-${i}`, {}, from)).status).toBe(401);
    }
    const fresh = await rawConnect(server.tunnelUrl(name), `guess`, {}, "127.0.0.13");
    expect(fresh.status).toBe(429);
    // The owner's address (127.0.0.1) presented the right secret for this name: its reconnect is not locked out.
    await using again = await answeringTunnel(server, name);
    await expectServing(again);
    // Other names are untouched.
    expect((await rawConnect(server.tunnelUrl(uniqueName("free")), server.secret, {}, "127.0.0.13")).status).toBe(101);
  });

  it("counts a missing secret like a wrong one, and keeps other tunnels serving through a flood", async () => {
    await using bystander = await answeringTunnel(server);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        rawConnect(server.tunnelUrl(uniqueName("flood")), i % 2 ? undefined : "x", {}, `127.0.1.${(i % 4) + 1}`),
      ),
    );
    expect(answers.filter((a) => a.status === 401)).toHaveLength(8);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(32);
    await expectServing(bystander);
    const response = await visitFrom("127.0.1.1", `${bystander.url}/`);
    expect(response.status).toBe(200);
  });
});
