// Credentials: which ones deploy accepts, and that credentials unable to do the job are told which
// API token to create before anything changed (the fake answers 403 where the real API would).
import { describe, expect, it } from "vitest";
import { deploy, savedConfig, tempConfigHome, wranglerLogin } from "./fixtures/fake-cloudflare/harness.ts";
import { startFakeCloudflareApi } from "./fixtures/fake-cloudflare/index.ts";

const ZONES = [
  { id: "zone-tunnels", name: "tunnels.test" },
  { id: "zone-example", name: "example.test", acm: 1 },
];
const NO_TOKEN = { CLOUDFLARE_API_TOKEN: "" };

describe("captun deploy credentials", () => {
  it("with none at all, says how to log in or pass a token, and calls nothing", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    const run = await deploy(api, home.path, ["deploy", "--yes"], NO_TOKEN);
    expect(run.code).toBe(2);
    expect(run.output).toContain("npx wrangler login");
    expect(run.output).toContain("CLOUDFLARE_API_TOKEN");
    expect(api.requests).toEqual([]);
  });

  it("a `wrangler login` deploys to workers.dev (OAuth tokens are not sent to token-verify)", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    await wranglerLogin(home.path, api.oauthToken);
    const run = await deploy(api, home.path, ["deploy", "--yes"], NO_TOKEN);
    expect(run.code, run.output).toBe(0);
    expect(api.uploads).toHaveLength(1);
    expect(api.requests).not.toContain("GET /user/tokens/verify");
    expect(await savedConfig(home.path)).toMatchObject({ serverUrl: "https://captun.tester.workers.dev" });
  });

  it.each([
    ["2. a dedicated zone", ["--route", "*.tunnels.test/*"], "zone-tunnels", ["Zone · DNS · Edit"], ["Zone · SSL and Certificates · Edit"]],
    [
      "3. namespaced with ACM",
      ["--route", "*.captun.example.test/*", "--zone", "example.test"],
      "zone-example",
      ["Zone · DNS · Edit", "Zone · SSL and Certificates · Edit"],
      [],
    ],
  ])("a `wrangler login` on %s is told which API token to create, before anything changes", async (_, flags, zoneId, needed, notNeeded) => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    await wranglerLogin(home.path, api.oauthToken);
    const run = await deploy(api, home.path, ["deploy", ...flags], NO_TOKEN);
    expect(run.code, run.output).toBe(2);
    expect(run.output).toContain("https://dash.cloudflare.com/profile/api-tokens");
    expect(run.output).toContain(`CLOUDFLARE_API_TOKEN=<the token> npx captun deploy ${flags.join(" ")}`);
    expect(run.output).toMatch(/wrangler login` cannot grant DNS/);
    for (const permission of ["Account · Workers Scripts · Edit", "Zone · Workers Routes · Edit", "Zone · Zone · Read", ...needed])
      expect(run.output).toContain(permission);
    for (const permission of notNeeded) expect(run.output).not.toContain(permission);
    // The real API answers these reads 403 for this token: the fake did too, and nothing was written.
    expect(api.refused).toContain(`GET /zones/${zoneId}/dns_records → 403 10000`);
    expect(api.writes).toEqual([]);
    expect(await savedConfig(home.path)).toBeUndefined();
  });

  it("the Global API Key (CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL) deploys a zone route", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    const run = await deploy(api, home.path, ["deploy", "--route", "*.tunnels.test/*"], {
      ...NO_TOKEN,
      CLOUDFLARE_API_KEY: api.apiKey.key,
      CLOUDFLARE_EMAIL: api.apiKey.email,
    });
    expect(run.code, run.output).toBe(0);
    expect(api.requests).toContain("GET /user");
    expect(api.uploads).toHaveLength(1);
    expect(api.routes).toMatchObject([{ pattern: "*.tunnels.test/*", script: "captun" }]);
  });

  it("an account-owned API token (it does not verify under /user) deploys", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({
      zones: ZONES,
      credentials: { "account-token": { kind: "account_token", grants: ["account:read", "workers_scripts:edit"] } },
    });
    const run = await deploy(api, home.path, ["deploy", "--yes"], { CLOUDFLARE_API_TOKEN: "account-token" });
    expect(run.code, run.output).toBe(0);
    expect(api.refused).toContain("GET /user/tokens/verify → 401 1000");
    expect(api.uploads).toHaveLength(1);
  });

  it("an API key without its email is refused clearly, before any call", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    const run = await deploy(api, home.path, ["deploy", "--yes"], { ...NO_TOKEN, CLOUDFLARE_API_KEY: api.apiKey.key });
    expect(run.code).toBe(2);
    expect(run.output).toMatch(/CLOUDFLARE_API_KEY needs CLOUDFLARE_EMAIL/);
    expect(api.requests).toEqual([]);
  });

  it("a token Cloudflare does not know is reported as invalid, and nothing changes", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    const run = await deploy(api, home.path, ["deploy", "--yes"], { CLOUDFLARE_API_TOKEN: "revoked-token" });
    expect(run.code).toBe(2);
    expect(run.output).toMatch(/CLOUDFLARE_API_TOKEN is not valid .*Invalid API Token \(1000\)/);
    expect(api.requests).toEqual(["GET /user/tokens/verify", "GET /accounts"]);
  });

  it("a token that may read DNS but not edit it: the certificate ordered first is withdrawn, no half deployment is left", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({
      zones: ZONES,
      pendingChecks: 1,
      credentials: {
        "dns-read-token": {
          kind: "api_token",
          grants: ["account:read", "workers_scripts:edit", "workers_routes:edit", "zone:read", "dns:read", "ssl:edit"],
        },
      },
    });
    const run = await deploy(api, home.path, ["deploy", "--route", "*.captun.example.test/*", "--zone", "example.test"], {
      CLOUDFLARE_API_TOKEN: "dns-read-token",
    });
    expect(run.code, run.output).toBe(2);
    expect(run.output).toContain("POST /zones/zone-example/dns_records was refused (403): needs Zone · DNS · Edit");
    expect(run.output).toContain("CLOUDFLARE_API_TOKEN=<the token> npx captun deploy --route");
    expect(run.output).toMatch(/undid certificate pack/);
    expect(api.certificatePacks.map((pack) => pack.status)).toEqual(["pending_deletion"]);
    expect(api.dnsRecords).toEqual([]);
    expect(api.uploads).toEqual([]);
    expect(await savedConfig(home.path)).toBeUndefined();
  });
});
