// The four routing options from an empty account, with flags and through the wizard, against the
// fake Cloudflare API (which enforces the published schema's rules; see fixtures/fake-cloudflare).
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runDeploy } from "../src/cli/deploy/deploy-command.ts";
import { WORKER_BUNDLE } from "../src/local-server.ts";
import { DOWN, deploy, deployEnv, ENTER, savedConfig, Terminal, tempConfigHome } from "./fixtures/fake-cloudflare/harness.ts";
import { type FakeCloudflareApi, manyZones, startFakeCloudflareApi } from "./fixtures/fake-cloudflare/index.ts";

const ZONES = [
  { id: "zone-tunnels", name: "tunnels.test" },
  { id: "zone-example", name: "example.test", acm: 1 },
  { id: "zone-plain", name: "plain.test" },
];

function bindingsOf(api: FakeCloudflareApi) {
  expect(api.uploads).toHaveLength(1);
  return api.uploads[0]!.metadata.bindings as { name: string; type: string; text?: string }[];
}

describe("captun deploy with flags, from an empty account", () => {
  it("1. workers.dev: the tested bundle, folder routing, CONNECT_SECRET uploaded with it, secret saved 0600 and masked", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    const run = await deploy(api, home.path, ["deploy", "--yes"]);
    expect(run.code, run.output).toBe(0);

    const config = await savedConfig(home.path);
    expect(config).toMatchObject({ serverUrl: "https://captun.tester.workers.dev", routing: "folder" });
    expect(config.customHostname).toBeUndefined();
    expect(config.deployment).toMatchObject({ accountId: api.accountId, workerName: "captun", created: {} });
    expect((await stat(join(home.path, "captun", "config.json"))).mode & 0o777).toBe(0o600);
    expect(run.output).not.toContain(config.secret);
    expect(run.output).toContain("https://captun.tester.workers.dev/<name>");

    const bindings = bindingsOf(api);
    expect(bindings).toContainEqual({ name: "CONNECT_SECRET", type: "secret_text", text: config.secret });
    expect(bindings).toContainEqual({ name: "SHARDS", type: "plain_text", text: "1" });
    expect(bindings.some((binding) => binding.name === "CUSTOM_HOSTNAME")).toBe(false);
    expect(api.uploads[0]!.mainModuleText).toBe(await readFile(WORKER_BUNDLE!, "utf8"));
    expect(api.scripts.get("captun")?.workersDev).toBe(true);
    expect(api.requests).toContain("GET /user/tokens/verify");
    expect(api.unhandled).toEqual([]);
  });

  it("2. a dedicated zone: CUSTOM_HOSTNAME, SHARDS, CONNECT_SECRET, the route and a proxied wildcard record; no certificate", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    const run = await deploy(api, home.path, ["deploy", "--route", "*.tunnels.test/*", "--zone", "tunnels.test", "--shards", "4"]);
    expect(run.code, run.output).toBe(0);

    const config = await savedConfig(home.path);
    expect(config).toMatchObject({ serverUrl: "https://tunnels.test", routing: "subdomain", customHostname: "tunnels.test" });
    const bindings = bindingsOf(api);
    expect(bindings).toContainEqual({ name: "CONNECT_SECRET", type: "secret_text", text: config.secret });
    expect(bindings).toContainEqual({ name: "CUSTOM_HOSTNAME", type: "plain_text", text: "tunnels.test" });
    expect(bindings).toContainEqual({ name: "SHARDS", type: "plain_text", text: "4" });
    expect(api.routes).toMatchObject([{ pattern: "*.tunnels.test/*", script: "captun", zoneId: "zone-tunnels" }]);
    expect(api.dnsRecords).toMatchObject([{ zoneId: "zone-tunnels", name: "*.tunnels.test", type: "AAAA", proxied: true, ttl: 1 }]);
    expect(config.deployment).toMatchObject({
      zone: { id: "zone-tunnels", name: "tunnels.test", route: "*.tunnels.test/*" },
      created: { dnsRecordIds: [api.dnsRecords[0]!.id] },
    });
    // The zone lookup is filtered by the account (zones-get `account.id`).
    expect(api.calls).toContain(`GET /zones?name=tunnels.test&account.id=${api.accountId}&per_page=50&page=1`);
    expect(api.requests.some((request) => request.includes("certificate_packs"))).toBe(false);
    expect(api.unhandled).toEqual([]);
  });

  it("3. namespaced under a zone with ACM: orders a pack whose hosts include the zone apex, waits until active, then deploys", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES, pendingChecks: 3 });
    const run = await deploy(api, home.path, ["deploy", "--route", "*.captun.example.test/*", "--zone", "example.test"]);
    expect(run.code, run.output).toBe(0);

    expect(api.certificatePacks).toMatchObject([
      { zoneId: "zone-example", hosts: ["example.test", "captun.example.test", "*.captun.example.test"], status: "active" },
    ]);
    const packId = api.certificatePacks[0]!.id;
    const order = api.requests.indexOf("POST /zones/zone-example/ssl/certificate_packs/order");
    const upload = api.requests.indexOf(`PUT /accounts/${api.accountId}/workers/scripts/captun`);
    expect(order).toBeGreaterThan(-1);
    expect(upload).toBeGreaterThan(order);
    expect(api.requests.filter((request) => request === `GET /zones/zone-example/ssl/certificate_packs/${packId}`)).toHaveLength(3);
    expect(api.routes).toMatchObject([{ pattern: "*.captun.example.test/*", zoneId: "zone-example" }]);
    const config = await savedConfig(home.path);
    expect(config).toMatchObject({ customHostname: "captun.example.test", routing: "subdomain" });
    expect(config.deployment.created).toMatchObject({ certificatePackId: packId, dnsRecordIds: [api.dnsRecords[0]!.id] });
    expect(bindingsOf(api)).toContainEqual({ name: "CONNECT_SECRET", type: "secret_text", text: config.secret });
  });

  it("3 without ACM: stops with the dashboard link before changing anything", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    const run = await deploy(api, home.path, ["deploy", "--route", "*.captun.plain.test/*", "--zone", "plain.test"]);
    expect(run.code).toBe(2);
    expect(run.output).toContain(`https://dash.cloudflare.com/${api.accountId}/plain.test/ssl-tls/edge-certificates`);
    expect(run.output).toMatch(/ACM is not enabled/);
    expect(api.writes).toEqual([]);
  });

  it("keeps the secret when redeploying to the same server with other settings", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    expect((await deploy(api, home.path, ["deploy", "--yes"])).code).toBe(0);
    const { secret } = await savedConfig(home.path);
    const second = await deploy(api, home.path, ["deploy", "--yes", "--shards", "2"]);
    expect(second.code, second.output).toBe(0);
    expect((await savedConfig(home.path)).secret).toBe(secret);
    expect(api.uploads).toHaveLength(2);
    expect(api.uploads[1]!.metadata.bindings).toContainEqual({ name: "CONNECT_SECRET", type: "secret_text", text: secret });
    // A Worker that exists is updated the way wrangler does it: a new version, then a deployment.
    expect(api.requests).toContain(`POST /accounts/${api.accountId}/workers/scripts/captun/versions`);
    expect(api.requests).toContain(`POST /accounts/${api.accountId}/workers/scripts/captun/deployments`);
    expect(api.unhandled).toEqual([]);
  });

  it("`captun deploy --help` and `captun undeploy --help` print their usage", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi();
    const run = await deploy(api, home.path, ["deploy", "--help"]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("--route <pattern>");
    expect(run.output).toContain("CLOUDFLARE_API_TOKEN");
    const undeploy = await deploy(api, home.path, ["undeploy", "--help"]);
    expect(undeploy.code, undeploy.output).toBe(0);
    expect(undeploy.output).toContain("remove what captun deploy created, and nothing else");
    expect(api.requests).toEqual([]);
  });
});

describe("captun deploy wizard, interactively (zones read across pages: the account has 57)", () => {
  const zones = [...manyZones(55), ...ZONES.slice(0, 2)];

  async function wizard(keys: (terminal: Terminal) => Promise<void>) {
    const home = await tempConfigHome();
    const api = await startFakeCloudflareApi({ zones, pendingChecks: 1 });
    const terminal = new Terminal();
    const env = { ...process.env, ...deployEnv(api, home.path) };
    const deploying = runDeploy({ interactive: true, certificatePollMs: 20 }, { input: terminal.input, output: terminal.output, env });
    await keys(terminal);
    const code = await deploying;
    const config = await savedConfig(home.path);
    return Object.assign(
      { code, api, config, terminal },
      {
        async [Symbol.asyncDispose]() {
          await api[Symbol.asyncDispose]();
          await home[Symbol.asyncDispose]();
        },
      },
    );
  }

  const UP = "\x1b[A";

  it("1. workers.dev", async () => {
    await using run = await wizard((t) => t.answer("Where should tunnel URLs live?", ENTER));
    expect(run.code).toBe(0);
    expect(run.config).toMatchObject({ serverUrl: "https://captun.tester.workers.dev", routing: "folder" });
    expect(run.api.routes).toEqual([]);
  });

  it("2. a dedicated zone, picked from the second page of the account's zones", async () => {
    await using run = await wizard(async (t) => {
      await t.answer("Where should tunnel URLs live?", DOWN + ENTER);
      await t.answer("Which zone?", UP + UP + ENTER);
    });
    expect(run.code).toBe(0);
    expect(run.api.calls).toContain(`GET /zones?per_page=50&status=active&account.id=${run.api.accountId}&page=2`);
    expect(run.api.routes).toMatchObject([{ pattern: "*.tunnels.test/*", zoneId: "zone-tunnels" }]);
    expect(run.config).toMatchObject({ customHostname: "tunnels.test" });
  });

  it("3. namespaced under captun. on a zone with ACM, certificate ordered", async () => {
    await using run = await wizard(async (t) => {
      await t.answer("Where should tunnel URLs live?", DOWN + DOWN + ENTER);
      await t.answer("Which zone?", UP + ENTER);
      await t.answer("Tunnels go under which subdomain of example.test?", ENTER);
    });
    expect(run.code).toBe(0);
    expect(run.api.certificatePacks).toMatchObject([
      { hosts: ["example.test", "captun.example.test", "*.captun.example.test"], status: "active" },
    ]);
    expect(run.api.routes).toMatchObject([{ pattern: "*.captun.example.test/*" }]);
    expect(run.config).toMatchObject({ customHostname: "captun.example.test" });
  });

  it("4. the throwaway-domain advice deploys nothing", async () => {
    await using run = await wizard((t) => t.answer("Where should tunnel URLs live?", DOWN + DOWN + DOWN + ENTER));
    expect(run.code).toBe(0);
    expect(run.terminal.screen).toMatch(/Register a cheap domain/);
    expect(run.api.writes).toEqual([]);
    expect(run.config).toBeUndefined();
  });
});
