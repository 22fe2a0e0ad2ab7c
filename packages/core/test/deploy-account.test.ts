// Deploying into an account that is already partly set up, and the account shapes the first
// version of deploy got wrong: DNS-only records, dying certificate packs, several pages, several
// accounts, no workers.dev subdomain, names and routes that belong to someone else.
import { describe, expect, it } from "vitest";
import { runDeploy } from "../src/cli/deploy/deploy-command.ts";
import { deploy, deployEnv, savedConfig, Terminal, tempConfigHome } from "./fixtures/fake-cloudflare/harness.ts";
import { type FakeDnsRecord, manyZones, startFakeCloudflareApi } from "./fixtures/fake-cloudflare/index.ts";

const ZONES = [
  { id: "zone-tunnels", name: "tunnels.test" },
  { id: "zone-example", name: "example.test", acm: 1 },
];
const NAMESPACED = ["deploy", "--route", "*.captun.example.test/*", "--zone", "example.test"];

const dnsOnlyWildcard = (): FakeDnsRecord => ({
  id: "user-wildcard",
  zoneId: "zone-tunnels",
  name: "*.tunnels.test",
  type: "A",
  content: "192.0.2.10",
  proxied: false,
  ttl: 300,
});

// Several CLI runs (each a wrangler process) per test: give them room on a loaded machine.
describe("captun deploy into a partly set-up account", { timeout: 180_000 }, () => {
  it("keeps what is already there (proxied record, active certificate, other routes and records), and undeploy leaves it", async () => {
    await using home = await tempConfigHome();
    const userRecords: FakeDnsRecord[] = [
      { id: "user-www", zoneId: "zone-example", name: "www.example.test", type: "A", content: "192.0.2.1", proxied: true, ttl: 1 },
      {
        id: "user-wild",
        zoneId: "zone-example",
        name: "*.captun.example.test",
        type: "CNAME",
        content: "example.test",
        proxied: true,
        ttl: 1,
      },
    ];
    await using api = await startFakeCloudflareApi({
      zones: ZONES,
      dnsRecords: structuredClone(userRecords),
      // 24 older packs first: the covering one is on the second page of the default 20.
      certificatePacks: [
        ...Array.from({ length: 24 }, (_, index) => ({
          id: `old-${index}`,
          zoneId: "zone-example",
          hosts: ["example.test", `old${index}.example.test`],
          status: "active",
          type: "advanced",
        })),
        {
          id: "user-pack",
          zoneId: "zone-example",
          hosts: ["example.test", "captun.example.test", "*.captun.example.test"],
          status: "active",
          type: "advanced",
        },
      ],
      routes: [{ id: "user-route", zoneId: "zone-example", pattern: "api.example.test/*", script: "api" }],
    });
    const run = await deploy(api, home.path, NAMESPACED);
    expect(run.code, run.output).toBe(0);
    expect(api.requests).not.toContain("POST /zones/zone-example/ssl/certificate_packs/order");
    expect(api.calls).toContain("GET /zones/zone-example/ssl/certificate_packs?status=all&page=2");
    expect(api.requests).not.toContain("POST /zones/zone-example/dns_records");
    expect((await savedConfig(home.path)).deployment.created).toEqual({});

    const undeploy = await deploy(api, home.path, ["undeploy", "--yes"]);
    expect(undeploy.code, undeploy.output).toBe(0);
    expect(api.scripts.size).toBe(0);
    expect(api.dnsRecords).toEqual(userRecords);
    expect(api.certificatePacks.every((pack) => pack.status === "active")).toBe(true);
    expect(api.routes).toMatchObject([{ id: "user-route", script: "api" }]);
  });

  it("a DNS-only wildcard record: refused without --yes outside a terminal, nothing changed", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES, dnsRecords: [dnsOnlyWildcard()] });
    const run = await deploy(api, home.path, ["deploy", "--route", "*.tunnels.test/*"]);
    expect(run.code).toBe(2);
    expect(run.output).toContain("A *.tunnels.test 192.0.2.10 is DNS only, so the Worker route never runs for it");
    expect(run.output).toContain("--yes");
    expect(api.writes).toEqual([]);
  });

  it("a DNS-only wildcard record: --yes switches it to proxied; undeploy switches it back and keeps it", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES, dnsRecords: [dnsOnlyWildcard()] });
    const run = await deploy(api, home.path, ["deploy", "--route", "*.tunnels.test/*", "--yes"]);
    expect(run.code, run.output).toBe(0);
    expect(api.dnsRecords).toMatchObject([{ id: "user-wildcard", proxied: true }]);
    expect(api.requests).toContain("PATCH /zones/zone-tunnels/dns_records/user-wildcard");
    expect((await savedConfig(home.path)).deployment.created).toEqual({ proxiedDnsRecordIds: ["user-wildcard"] });

    expect((await deploy(api, home.path, ["undeploy", "--yes"])).code).toBe(0);
    expect(api.dnsRecords).toEqual([dnsOnlyWildcard()]);
  });

  it("a DNS-only wildcard record: in a terminal, deploy asks before switching it", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES, dnsRecords: [dnsOnlyWildcard()] });
    const terminal = new Terminal();
    const env = { ...process.env, ...deployEnv(api, home.path) };
    const deploying = runDeploy({ route: "*.tunnels.test/*", prompt: true }, { input: terminal.input, output: terminal.output, env });
    await terminal.answer("Switch it to proxied", "y");
    expect(await deploying).toBe(0);
    expect(api.dnsRecords).toMatchObject([{ id: "user-wildcard", proxied: true }]);
  });

  it("certificate packs on their way out (pending_deletion, validation_timed_out, …) are not reused: a new one is ordered", async () => {
    await using home = await tempConfigHome();
    const hosts = ["example.test", "captun.example.test", "*.captun.example.test"];
    await using api = await startFakeCloudflareApi({
      zones: [{ id: "zone-example", name: "example.test", acm: 3 }],
      pendingChecks: 1,
      certificatePacks: ["pending_deletion", "validation_timed_out", "pending_expiration"].map((status, index) => ({
        id: `dying-${index}`,
        zoneId: "zone-example",
        hosts,
        status,
        type: "advanced",
      })),
    });
    const run = await deploy(api, home.path, NAMESPACED);
    expect(run.code, run.output).toBe(0);
    expect(api.requests).toContain("POST /zones/zone-example/ssl/certificate_packs/order");
    expect(api.requests.filter((request) => /certificate_packs\/dying-/.test(request))).toEqual([]);
  });

  it("a pack someone else ordered that is still pending is waited on, not ordered twice", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({
      zones: ZONES,
      pendingChecks: 2,
      certificatePacks: [
        {
          id: "pending",
          zoneId: "zone-example",
          hosts: ["example.test", "captun.example.test", "*.captun.example.test"],
          status: "pending_validation",
          type: "advanced",
        },
      ],
    });
    const run = await deploy(api, home.path, NAMESPACED);
    expect(run.code, run.output).toBe(0);
    expect(api.requests).not.toContain("POST /zones/zone-example/ssl/certificate_packs/order");
    expect(api.certificatePacks).toMatchObject([{ id: "pending", status: "active" }]);
    expect((await savedConfig(home.path)).deployment.created.certificatePackId).toBeUndefined();
  });

  it("the zone is looked up in the chosen account only", async () => {
    await using home = await tempConfigHome();
    const accounts = [
      { id: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", name: "Personal" },
      { id: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", name: "Work" },
    ];
    await using api = await startFakeCloudflareApi({
      accounts,
      zones: [
        { id: "zone-personal", name: "tunnels.test", accountId: accounts[0]!.id },
        { id: "zone-work", name: "tunnels.test", accountId: accounts[1]!.id },
      ],
    });
    const run = await deploy(api, home.path, ["deploy", "--route", "*.tunnels.test/*"], { CLOUDFLARE_ACCOUNT_ID: accounts[1]!.id });
    expect(run.code, run.output).toBe(0);
    expect(api.dnsRecords).toMatchObject([{ zoneId: "zone-work" }]);
    expect((await savedConfig(home.path)).deployment.zone.id).toBe("zone-work");
  });

  it("with many accounts, lists all of them (every page) and asks for CLOUDFLARE_ACCOUNT_ID", async () => {
    await using home = await tempConfigHome();
    const accounts = Array.from({ length: 55 }, (_, index) => ({
      id: `account${String(index).padStart(26, "0")}`,
      name: `Account ${index}`,
    }));
    await using api = await startFakeCloudflareApi({ accounts, zones: manyZones(3, accounts[0]!.id) });
    const run = await deploy(api, home.path, ["deploy", "--yes"]);
    expect(run.code).toBe(2);
    expect(run.output).toContain("55 accounts");
    expect(run.output).toContain(accounts[54]!.id);
    expect(api.writes).toEqual([]);
  });

  it("an account without a workers.dev subdomain (error 10007) gets a working dashboard link, and nothing changes", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES, workersSubdomain: null });
    const run = await deploy(api, home.path, ["deploy", "--yes"]);
    expect(run.code).toBe(2);
    expect(api.refused).toContain(`GET /accounts/${api.accountId}/workers/subdomain → 404 10007`);
    expect(run.output).toContain("no workers.dev subdomain");
    expect(run.output).toContain(`https://dash.cloudflare.com/${api.accountId}/workers-and-pages`);
    expect(run.output).not.toContain("/workers/onboarding");
    expect(api.writes).toEqual([]);
  });

  it("a route pattern that already sends traffic to another Worker is left alone", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({
      zones: ZONES,
      routes: [{ id: "theirs", zoneId: "zone-tunnels", pattern: "*.tunnels.test/*", script: "their-worker" }],
    });
    const run = await deploy(api, home.path, ["deploy", "--route", "*.tunnels.test/*"]);
    expect(run.code).toBe(2);
    expect(run.output).toContain('already sends traffic to the Worker "their-worker"');
    expect(api.writes).toEqual([]);
  });

  it("a Worker of the same name that is not captun is not overwritten", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    const upload = { name: "captun", metadata: { main_module: "index.js", bindings: [] }, modules: { "index.js": 1 }, mainModuleText: "" };
    api.scripts.set("captun", { upload, workersDev: true });
    const run = await deploy(api, home.path, ["deploy", "--yes"]);
    expect(run.code).toBe(2);
    expect(run.output).toContain("not a captun server");
    expect(api.writes).toEqual([]);
  });

  it("a deploy recorded elsewhere must be undeployed before deploying to a new place", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    expect((await deploy(api, home.path, ["deploy", "--yes"])).code).toBe(0);
    const writes = api.writes.length;
    const run = await deploy(api, home.path, ["deploy", "--route", "*.tunnels.test/*"]);
    expect(run.code).toBe(2);
    expect(run.output).toContain("Run `captun undeploy` first");
    expect(api.writes).toHaveLength(writes);
  });
});
