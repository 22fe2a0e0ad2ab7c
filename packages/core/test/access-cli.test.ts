// The command line's side of access control: `captun <port>` is public unless asked, `--private`
// and `--passcode` print the owner's link, `captun share` mints, lists and revokes links.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaptunTunnel } from "../src/index.ts";
import { ERROR_HEADER } from "../src/protocol.ts";
import { configHome } from "./_apps.ts";
import { startOrigin, startTestServer, type TestServer, uniqueName, visit } from "./_harness.ts";
import { runCli } from "./fixtures/cli-process.ts";

let server: TestServer;
let home: Awaited<ReturnType<typeof configHome>>;
beforeAll(async () => {
  server = await startTestServer({ routing: "subdomain" });
  home = await configHome({ serverUrl: server.url, secret: server.secret, customHostname: server.customHostname });
});
afterAll(async () => {
  await home?.[Symbol.asyncDispose]();
  await server?.[Symbol.asyncDispose]();
});

const cli = (args: string[]) => runCli(args, { XDG_CONFIG_HOME: home.dir });

/** Follows a share link the way a browser does once: returns the cookie it set. */
async function cookieFrom(link: string): Promise<string> {
  const response = await visit(link);
  expect(response.status).toBe(303);
  return response.headers.get("set-cookie")?.split(";")[0] ?? "";
}

describe("captun <port> access flags", () => {
  it("is public unless asked", async () => {
    await using origin = await startOrigin((_req, res) => res.end("open to all"));
    const name = uniqueName("clipub");
    await using tunnel = cli([new URL(origin.url).port, "--name", name]);
    const [, url = ""] = await tunnel.waitFor(/Public:\s+(\S+)/);
    expect(url).toBe(server.tunnelUrl(name));
    expect(tunnel.output).not.toMatch(/private|passcode/);
    const response = await visit(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("open to all");
  });

  it("--private prints the owner's link and says so; anonymous visitors get 401, the link gets in", async () => {
    await using origin = await startOrigin((req, res) => res.end(`private ${req.url}`));
    const name = uniqueName("clipriv");
    await using tunnel = cli([new URL(origin.url).port, "--name", name, "--private", "--public-path", "/hooks/**"]);
    const [, link = ""] = await tunnel.waitFor(/Public:\s+(\S+)/);
    await tunnel.waitFor(/private: this link is yours/);
    expect(link.startsWith(`${server.tunnelUrl(name)}/?captun_share=v1.`)).toBe(true);
    const anonymous = await visit(`${server.tunnelUrl(name)}/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get(ERROR_HEADER)).toBe("access-required");
    expect(await (await visit(`${server.tunnelUrl(name)}/hooks/github`, { method: "POST" })).text()).toBe("private /hooks/github");
    const cookie = await cookieFrom(link);
    expect(await (await visit(`${server.tunnelUrl(name)}/x`, { headers: { cookie } })).text()).toBe("private /x");
  });

  it("--passcode takes the passcode as HTTP Basic", async () => {
    await using origin = await startOrigin((_req, res) => res.end("behind a passcode"));
    const name = uniqueName("clipass");
    await using tunnel = cli([new URL(origin.url).port, "--name", name, "--passcode", "hunter2"]);
    await tunnel.waitFor(/passcode-protected/);
    const url = server.tunnelUrl(name);
    expect((await visit(url)).status).toBe(401);
    const authorization = `Basic ${Buffer.from("me:hunter2").toString("base64")}`;
    expect(await (await visit(url, { headers: { authorization } })).text()).toBe("behind a passcode");
  });

  it("refuses a public path without --private", async () => {
    await using tunnel = cli(["3000", "--public-path", "/hooks/**"]);
    expect(await tunnel.exited).toBe(2);
    expect(tunnel.output).toContain("--public-path only means something with --private or --passcode");
  });
});

describe("captun share", () => {
  it("mints a scoped, labelled link with a QR-less banner, lists it and revokes it", async () => {
    const name = uniqueName("share");
    const tunnel = await createCaptunTunnel({
      url: server.tunnelUrl(name),
      secret: server.secret,
      access: { mode: "private" },
      fetch: (request) => new Response(`app ${new URL(request.url).pathname}`),
    });
    await using _tunnel = tunnel;

    await using share = cli(["share", "--name", name, "--ttl", "2h", "--label", "alice", "--path", "/checkout/**"]);
    const [, link = ""] = await share.waitFor(/Link:\s+(\S+)/);
    expect(await share.exited).toBe(0);
    expect(share.output).toMatch(/label alice · expires .* \(in 2 h\) · only \/checkout\/\*\*/);
    expect(new URL(link).pathname).toBe("/checkout/");
    const cookie = await cookieFrom(link);
    expect(await (await visit(`${tunnel.url}/checkout/pay`, { headers: { cookie } })).text()).toBe("app /checkout/pay");
    expect((await visit(`${tunnel.url}/`, { headers: { cookie } })).status).toBe(401);

    await using list = cli(["share", "--name", name, "--list"]);
    expect(await list.exited).toBe(0);
    expect(list.output).toMatch(/alice\s+expires .* only \/checkout\/\*\*/);

    await using revoke = cli(["share", "--name", name, "--revoke", "alice"]);
    expect(await revoke.exited).toBe(0);
    expect(revoke.output).toContain('Revoked links labelled "alice"');
    const refused = await visit(`${tunnel.url}/checkout/pay`, { headers: { cookie } });
    expect(refused.headers.get(ERROR_HEADER)).toBe("link-revoked");
    expect((await visit(link)).headers.get(ERROR_HEADER)).toBe("link-revoked");

    await using again = cli(["share", "--name", name, "--label", "bob"]);
    const [, bobLink = ""] = await again.waitFor(/Link:\s+(\S+)/);
    const bob = await cookieFrom(bobLink);
    expect((await visit(`${tunnel.url}/`, { headers: { cookie: bob } })).status).toBe(200);
    await using all = cli(["share", "--name", name, "--revoke-all"]);
    expect(await all.exited).toBe(0);
    expect((await visit(`${tunnel.url}/`, { headers: { cookie: bob } })).headers.get(ERROR_HEADER)).toBe("link-revoked");
    await using empty = cli(["share", "--name", name, "--list"]);
    expect(await empty.exited).toBe(0);
    expect(empty.output).toContain("No live links");
  });

  it("explains a bad --ttl, a bad --path and a missing --name", async () => {
    for (const [args, message] of [
      [["share", "--name", "x", "--ttl", "forever"], "give a duration like 30m, 2h or 7d"],
      [["share", "--name", "x", "--path", "checkout"], 'start it with "/"'],
      [["share"], "Pass --name <tunnel>"],
    ] as const) {
      await using run = cli([...args]);
      expect(await run.exited).toBe(2);
      expect(run.output).toContain(message);
    }
  });
});
