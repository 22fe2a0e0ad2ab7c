// Redeploys that change nothing, dry runs that print the exact plan, and undeploy removing exactly
// what deploy created — for each routing option, from an empty account.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deploy, savedConfig, tempConfigHome } from "./fixtures/fake-cloudflare/harness.ts";
import { startFakeCloudflareApi } from "./fixtures/fake-cloudflare/index.ts";

const ZONES = [
  { id: "zone-tunnels", name: "tunnels.test" },
  { id: "zone-example", name: "example.test", acm: 1 },
];

/** Option 4 (a throwaway domain) deploys as option 2 once the domain is on the account. */
const OPTIONS = [
  ["1. workers.dev", ["--yes"]],
  ["2. a dedicated zone", ["--route", "*.tunnels.test/*"]],
  ["3. namespaced with ACM", ["--route", "*.captun.example.test/*", "--zone", "example.test"]],
] as const;

// Several CLI runs (each a wrangler process) per test: give them room on a loaded machine.
describe("captun deploy is idempotent", { timeout: 180_000 }, () => {
  it.each(OPTIONS)("%s: the second run changes nothing and says so", async (_, flags) => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES, pendingChecks: 1 });
    expect((await deploy(api, home.path, ["deploy", ...flags])).code).toBe(0);
    const config = await savedConfig(home.path);
    const writes = api.writes.length;

    const again = await deploy(api, home.path, ["deploy", ...flags]);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain(`Nothing to change: captun is deployed and up to date at ${config.serverUrl}`);
    expect(api.writes).toHaveLength(writes);
    expect(api.uploads).toHaveLength(1);
    expect(await savedConfig(home.path)).toEqual(config);
  });

  it("a Worker deleted behind deploy's back is uploaded again (the record alone is not trusted)", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    expect((await deploy(api, home.path, ["deploy", "--route", "*.tunnels.test/*"])).code).toBe(0);
    api.scripts.clear();
    const again = await deploy(api, home.path, ["deploy", "--route", "*.tunnels.test/*"]);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain("create the Worker captun");
    expect(api.uploads).toHaveLength(2);
    expect(api.dnsRecords).toHaveLength(1);
  });
});

describe("captun deploy --dry-run", () => {
  it.each([
    [...OPTIONS[0], ["wrangler deploy → PUT /accounts/ACCOUNT/workers/scripts/captun", "POST …/workers/scripts/captun/subdomain"]],
    [...OPTIONS[1], ["POST /zones/zone-tunnels/dns_records", "AAAA *.tunnels.test 100:: (proxied)", "PUT …/workers/scripts/captun/routes"]],
    [
      ...OPTIONS[2],
      [
        "POST /zones/zone-example/ssl/certificate_packs/order",
        "example.test, captun.example.test, *.captun.example.test",
        "POST /zones/zone-example/dns_records",
        "CUSTOM_HOSTNAME=captun.example.test",
      ],
    ],
  ])("%s: prints the exact plan, validates with wrangler, and only reads", async (_, flags, expected) => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    const run = await deploy(api, home.path, ["deploy", "--dry-run", ...flags]);
    expect(run.code, run.output).toBe(0);
    for (const line of expected) expect(run.output).toContain(line.replace("ACCOUNT", api.accountId));
    expect(run.output).toContain("secret CONNECT_SECRET");
    expect(run.output).toContain("Nothing was changed or saved");
    expect(api.writes).toEqual([]);
    expect(await savedConfig(home.path)).toBeUndefined();
  });
});

// Several CLI runs (each a wrangler process) per test: give them room on a loaded machine.
describe("captun undeploy", { timeout: 180_000 }, () => {
  it.each(OPTIONS)("%s: removes the Worker, route, DNS record and certificate deploy created, and the saved server", async (_, flags) => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES, pendingChecks: 1 });
    // Other things in the config are not deploy's to remove.
    await mkdir(join(home.path, "captun"), { recursive: true });
    await writeFile(join(home.path, "captun", "config.json"), JSON.stringify({ projects: { "/app": "my-app" } }));
    expect((await deploy(api, home.path, ["deploy", ...flags])).code).toBe(0);

    const dry = await deploy(api, home.path, ["undeploy", "--dry-run"]);
    expect(dry.code, dry.output).toBe(0);
    expect(dry.output).toContain("Worker captun");
    expect(api.scripts.has("captun")).toBe(true);

    const run = await deploy(api, home.path, ["undeploy", "--yes"]);
    expect(run.code, run.output).toBe(0);
    expect(api.scripts.size).toBe(0);
    expect(api.routes).toEqual([]);
    expect(api.dnsRecords).toEqual([]);
    expect(api.certificatePacks.every((pack) => pack.status === "pending_deletion")).toBe(true);
    expect(await savedConfig(home.path)).toEqual({ projects: { "/app": "my-app" } });

    // And deploying again afterwards starts from scratch (the dying pack is not reused).
    const redeploy = await deploy(api, home.path, ["deploy", ...flags]);
    expect(redeploy.code, redeploy.output).toBe(0);
    expect(api.scripts.has("captun")).toBe(true);
  });

  it("`captun deploy --remove` is the same as undeploy", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    expect((await deploy(api, home.path, ["deploy", "--yes"])).code).toBe(0);
    const run = await deploy(api, home.path, ["deploy", "--remove", "--yes"]);
    expect(run.code, run.output).toBe(0);
    expect(api.scripts.size).toBe(0);
    expect(await savedConfig(home.path)).toEqual({});
  });

  it("without --yes outside a terminal, lists what it would remove and removes nothing", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    expect((await deploy(api, home.path, ["deploy", "--route", "*.tunnels.test/*"])).code).toBe(0);
    const writes = api.writes.length;
    const run = await deploy(api, home.path, ["undeploy"]);
    expect(run.code).toBe(2);
    expect(run.output).toContain("DNS record AAAA *.tunnels.test 100::");
    expect(run.output).toContain("captun undeploy --yes");
    expect(api.writes).toHaveLength(writes);
  });

  it("with nothing recorded, says so and calls nothing", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    const run = await deploy(api, home.path, ["undeploy", "--yes"]);
    expect(run.code).toBe(2);
    expect(run.output).toMatch(/Nothing to undeploy/);
    expect(api.requests).toEqual([]);
  });
});
