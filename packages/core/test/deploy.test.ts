import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { runDeploy } from "../src/cli/deploy/deploy-command.ts";
import { WORKER_BUNDLE } from "../src/local-server.ts";
import { runCli, tempConfigHome } from "./fixtures/cli-process.ts";
import { type FakeCloudflareApi, startFakeCloudflareApi } from "./fixtures/fake-cloudflare-api.ts";

const ZONES = [
  { id: "zone-tunnels", name: "tunnels.test" },
  { id: "zone-example", name: "example.test", acm: 1 },
  { id: "zone-plain", name: "plain.test" },
];

/** Env for a deploy against the fake API; HOME and XDG_CONFIG_HOME keep any real wrangler login out. */
function deployEnv(api: FakeCloudflareApi, home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    XDG_CONFIG_HOME: home,
    HOME: home,
    CLOUDFLARE_API_BASE_URL: api.url,
    CLOUDFLARE_API_TOKEN: api.token,
    CLOUDFLARE_ACCOUNT_ID: "",
    CAPTUN_CERTIFICATE_POLL_MS: "20",
    WRANGLER_SEND_METRICS: "false",
    ...extra,
  };
}

async function savedConfig(home: string) {
  return JSON.parse(await readFile(join(home, "captun", "config.json"), "utf8"));
}

function bindingsOf(api: FakeCloudflareApi) {
  expect(api.uploads).toHaveLength(1);
  return api.uploads[0]!.metadata.bindings as { name: string; type: string; text?: string }[];
}

describe("captun deploy with flags, against the fake Cloudflare API", () => {
  it("deploys the tested Worker bundle to workers.dev with folder routing and saves the secret 0600, masked in the output", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    await using cli = runCli(["deploy", "--yes"], deployEnv(api, home.path));
    expect(await cli.exited, cli.output).toBe(0);

    const config = await savedConfig(home.path);
    expect(config).toMatchObject({ serverUrl: "https://captun.tester.workers.dev", routing: "folder" });
    expect(config.customHostname).toBeUndefined();
    expect((await stat(join(home.path, "captun", "config.json"))).mode & 0o777).toBe(0o600);
    expect(cli.output).not.toContain(config.secret);
    expect(cli.output).toContain("https://captun.tester.workers.dev/<name>");

    const bindings = bindingsOf(api);
    expect(bindings).toContainEqual({ name: "CONNECT_SECRET", type: "secret_text", text: config.secret });
    expect(bindings).toContainEqual({ name: "SHARDS", type: "plain_text", text: "1" });
    expect(bindings.some((binding) => binding.name === "CUSTOM_HOSTNAME")).toBe(false);
    expect(api.uploads[0]!.mainModuleText).toBe(await readFile(WORKER_BUNDLE!, "utf8"));
    expect(api.requests).toContain(`POST /accounts/${api.accountId}/workers/scripts/captun/subdomain`);
    expect(api.unhandled).toEqual([]);
  });

  it("routes *.zone/* on a dedicated zone: CUSTOM_HOSTNAME, SHARDS, a proxied wildcard DNS record, no certificate", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    await using cli = runCli(
      ["deploy", "--route", "*.tunnels.test/*", "--zone", "tunnels.test", "--shards", "4"],
      deployEnv(api, home.path),
    );
    expect(await cli.exited, cli.output).toBe(0);

    expect(await savedConfig(home.path)).toMatchObject({
      serverUrl: "https://tunnels.test",
      routing: "subdomain",
      customHostname: "tunnels.test",
    });
    const bindings = bindingsOf(api);
    expect(bindings).toContainEqual({ name: "CUSTOM_HOSTNAME", type: "plain_text", text: "tunnels.test" });
    expect(bindings).toContainEqual({ name: "SHARDS", type: "plain_text", text: "4" });
    expect(api.routes).toEqual([{ pattern: "*.tunnels.test/*", script: "captun", zoneId: "zone-tunnels" }]);
    expect(api.dnsRecords).toMatchObject([{ zoneId: "zone-tunnels", name: "*.tunnels.test", proxied: true }]);
    expect(api.requests.some((request) => request.includes("certificate_packs"))).toBe(false);
    expect(api.unhandled).toEqual([]);
  });

  it("orders an ACM certificate pack for *.captun.zone and waits until it is active before deploying", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES, pendingChecks: 3 });
    await using cli = runCli(["deploy", "--route", "*.captun.example.test/*", "--zone", "example.test"], deployEnv(api, home.path));
    expect(await cli.exited, cli.output).toBe(0);

    expect(api.certificatePacks).toMatchObject([
      { zoneId: "zone-example", hosts: ["captun.example.test", "*.captun.example.test"], status: "active" },
    ]);
    const order = api.requests.indexOf("POST /zones/zone-example/ssl/certificate_packs/order");
    const upload = api.requests.indexOf(`PUT /accounts/${api.accountId}/workers/scripts/captun`);
    expect(order).toBeGreaterThan(-1);
    expect(upload).toBeGreaterThan(order);
    expect(api.requests.filter((request) => request === "GET /zones/zone-example/ssl/certificate_packs/pack-1")).toHaveLength(3);
    expect(api.routes).toMatchObject([{ pattern: "*.captun.example.test/*", zoneId: "zone-example" }]);
    expect(await savedConfig(home.path)).toMatchObject({ customHostname: "captun.example.test", routing: "subdomain" });
  });

  it("stops with a dashboard link when the zone has no ACM, and uploads nothing", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    await using cli = runCli(["deploy", "--route", "*.captun.plain.test/*", "--zone", "plain.test"], deployEnv(api, home.path));
    expect(await cli.exited).toBe(2);
    expect(cli.output).toContain(`https://dash.cloudflare.com/${api.accountId}/plain.test/ssl-tls/edge-certificates`);
    expect(cli.output).toMatch(/ACM is not enabled/);
    expect(api.uploads).toEqual([]);
    expect(api.certificatePacks).toEqual([]);
  });

  it("keeps the secret when redeploying to the same server", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    await using first = runCli(["deploy", "--yes"], deployEnv(api, home.path));
    expect(await first.exited, first.output).toBe(0);
    const { secret } = await savedConfig(home.path);
    await using second = runCli(["deploy", "--yes", "--shards", "2"], deployEnv(api, home.path));
    expect(await second.exited, second.output).toBe(0);
    expect((await savedConfig(home.path)).secret).toBe(secret);
    expect(api.uploads.at(-1)!.metadata.bindings).toContainEqual({ name: "CONNECT_SECRET", type: "secret_text", text: secret });
  });

  it("says how to log in when there are no Cloudflare credentials", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    await using cli = runCli(["deploy", "--yes"], deployEnv(api, home.path, { CLOUDFLARE_API_TOKEN: "" }));
    expect(await cli.exited).toBe(2);
    expect(cli.output).toContain("npx wrangler login");
    expect(cli.output).toContain("CLOUDFLARE_API_TOKEN");
    expect(api.requests).toEqual([]);
  });

  it("--dry-run validates the Worker with wrangler without touching the API or the config", async () => {
    await using home = await tempConfigHome();
    await using api = await startFakeCloudflareApi({ zones: ZONES });
    await using cli = runCli(["deploy", "--dry-run", "--route", "*.tunnels.test/*", "--shards", "3"], deployEnv(api, home.path));
    expect(await cli.exited, cli.output).toBe(0);
    expect(cli.output).toMatch(/--dry-run: exiting now|Dry run passed/);
    expect(cli.output).toContain("*.tunnels.test/*");
    expect(api.requests).toEqual([]);
    await expect(stat(join(home.path, "captun", "config.json"))).rejects.toThrow(/ENOENT/);
  });
});

/** Drives the wizard through in-memory streams, the way a terminal would. */
class Terminal {
  readonly input = new PassThrough();
  readonly output = Object.assign(new PassThrough(), { columns: 100, rows: 40, isTTY: false });
  screen = "";
  constructor() {
    this.output.on("data", (chunk: Buffer) => {
      this.screen += chunk.toString("utf8");
    });
  }
  /** Waits for `prompt` on screen, then types `keys`. */
  async answer(prompt: string, keys: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!this.screen.includes(prompt)) {
      if (Date.now() > deadline) throw new Error(`prompt "${prompt}" never appeared:\n${this.screen}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    this.screen = "";
    this.input.write(keys);
  }
}

const DOWN = "\x1b[B";
const ENTER = "\r";

describe("captun deploy wizard, interactively", () => {
  async function wizard(keys: (terminal: Terminal) => Promise<void>) {
    const home = await tempConfigHome();
    const api = await startFakeCloudflareApi({ zones: ZONES, pendingChecks: 1 });
    const terminal = new Terminal();
    const env = { ...process.env, ...deployEnv(api, home.path) };
    const deploying = runDeploy({ interactive: true, certificatePollMs: 20 }, { input: terminal.input, output: terminal.output, env });
    await keys(terminal);
    const code = await deploying;
    const configFile = join(home.path, "captun", "config.json");
    const config = await readFile(configFile, "utf8").then(JSON.parse, () => undefined);
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

  it("1. workers.dev", async () => {
    await using run = await wizard((t) => t.answer("Where should tunnel URLs live?", ENTER));
    expect(run.code).toBe(0);
    expect(run.config).toMatchObject({ serverUrl: "https://captun.tester.workers.dev", routing: "folder" });
    expect(run.api.routes).toEqual([]);
  });

  it("2. a dedicated zone, picked from the account's zones", async () => {
    await using run = await wizard(async (t) => {
      await t.answer("Where should tunnel URLs live?", DOWN + ENTER);
      await t.answer("Which zone?", ENTER);
    });
    expect(run.code).toBe(0);
    expect(run.api.routes).toMatchObject([{ pattern: "*.tunnels.test/*", zoneId: "zone-tunnels" }]);
    expect(run.config).toMatchObject({ customHostname: "tunnels.test" });
  });

  it("3. namespaced under captun. on a zone with ACM, certificate ordered", async () => {
    await using run = await wizard(async (t) => {
      await t.answer("Where should tunnel URLs live?", DOWN + DOWN + ENTER);
      await t.answer("Which zone?", DOWN + ENTER);
      await t.answer("Tunnels go under which subdomain of example.test?", ENTER);
    });
    expect(run.code).toBe(0);
    expect(run.api.certificatePacks).toMatchObject([{ hosts: ["captun.example.test", "*.captun.example.test"], status: "active" }]);
    expect(run.api.routes).toMatchObject([{ pattern: "*.captun.example.test/*" }]);
    expect(run.config).toMatchObject({ customHostname: "captun.example.test" });
  });

  it("4. the throwaway-domain advice deploys nothing", async () => {
    await using run = await wizard((t) => t.answer("Where should tunnel URLs live?", DOWN + DOWN + DOWN + ENTER));
    expect(run.code).toBe(0);
    expect(run.terminal.screen).toMatch(/Register a cheap domain/);
    expect(run.api.uploads).toEqual([]);
    expect(run.config).toBeUndefined();
  });
});
