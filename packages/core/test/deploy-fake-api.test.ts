// The fake Cloudflare API itself: it must refuse what the real API refuses, or the deploy tests
// prove nothing. Each case is one rule of the published schema (see fixtures/fake-cloudflare).
import { describe, expect, it } from "vitest";
import { type FakeCloudflareApi, manyZones, startFakeCloudflareApi } from "./fixtures/fake-cloudflare/index.ts";

async function cf(api: FakeCloudflareApi, method: string, path: string, options: { body?: unknown; token?: string } = {}) {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${options.token ?? api.token}`, "content-type": "application/json" },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const body = (await response.json()) as {
    success: boolean;
    errors: { code: number; message: string }[];
    messages: unknown[];
    result: unknown;
    result_info?: { page: number; per_page: number; count: number; total_count: number; total_pages: number };
  };
  return { status: response.status, ...body, code: body.errors[0]?.code };
}

const ORDER = {
  type: "advanced",
  hosts: ["example.test", "captun.example.test", "*.captun.example.test"],
  validation_method: "txt",
  validity_days: 90,
  certificate_authority: "lets_encrypt",
};

describe("the fake Cloudflare API enforces the schema", () => {
  it("certificate pack orders: the zone apex, the five required fields and their allowed values, ACM (1450)", async () => {
    await using api = await startFakeCloudflareApi({
      zones: [
        { id: "z", name: "example.test", acm: 5 },
        { id: "no-acm", name: "plain.test" },
      ],
    });
    const order = (body: unknown, zone = "z") => cf(api, "POST", `/zones/${zone}/ssl/certificate_packs/order`, { body });
    // What deploy used to send: no apex.
    expect(await order({ ...ORDER, hosts: ["captun.example.test", "*.captun.example.test"] })).toMatchObject({
      status: 400,
      success: false,
      errors: [{ message: "hosts must contain the zone apex (example.test)" }],
    });
    for (const field of ["type", "hosts", "validation_method", "validity_days", "certificate_authority"]) {
      const { [field]: _, ...without } = ORDER as Record<string, unknown>;
      expect((await order(without)).status, field).toBe(400);
    }
    expect((await order({ ...ORDER, validity_days: 60 })).status).toBe(400);
    expect((await order({ ...ORDER, certificate_authority: "digicert" })).status).toBe(400);
    expect((await order({ ...ORDER, validation_method: "http" })).status).toBe(400);
    expect((await order({ ...ORDER, hosts: ["example.test", "other.test"] })).status).toBe(400);
    expect(await order({ ...ORDER, hosts: ["plain.test"] }, "no-acm")).toMatchObject({ status: 403, code: 1450 });
    expect(await order(ORDER)).toMatchObject({ status: 200, success: true, result: { type: "advanced", status: "initializing" } });
  });

  it("certificate pack lists: active only unless status=all, any other status refused", async () => {
    await using api = await startFakeCloudflareApi({
      zones: [{ id: "z", name: "example.test", acm: 1 }],
      certificatePacks: [
        { id: "a", zoneId: "z", hosts: ["example.test"], status: "active", type: "advanced" },
        { id: "b", zoneId: "z", hosts: ["example.test"], status: "pending_deletion", type: "advanced" },
      ],
    });
    expect((await cf(api, "GET", "/zones/z/ssl/certificate_packs")).result).toMatchObject([{ id: "a" }]);
    expect((await cf(api, "GET", "/zones/z/ssl/certificate_packs?status=all")).result).toHaveLength(2);
    expect((await cf(api, "GET", "/zones/z/ssl/certificate_packs?status=active")).status).toBe(400);
  });

  it("pagination: page/per_page within bounds and result_info; filters on name, status, account.id", async () => {
    const other = "ffffffffffffffffffffffffffffffff";
    await using api = await startFakeCloudflareApi({
      accounts: [
        { id: "0123456789abcdef0123456789abcdef", name: "Mine" },
        { id: other, name: "Other" },
      ],
      zones: [
        ...manyZones(45),
        { id: "theirs", name: "zone-3.test", accountId: other },
        { id: "new", name: "new.test", status: "pending" },
      ],
    });
    const second = await cf(api, "GET", "/zones?per_page=20&page=2");
    expect(second.result_info).toEqual({ page: 2, per_page: 20, count: 20, total_count: 47, total_pages: 3 });
    expect((await cf(api, "GET", "/zones")).result_info?.per_page).toBe(20);
    expect((await cf(api, "GET", "/zones?per_page=51")).status).toBe(400);
    expect((await cf(api, "GET", "/zones?name=zone-3.test")).result).toHaveLength(2);
    expect((await cf(api, "GET", `/zones?name=zone-3.test&account.id=${other}`)).result).toMatchObject([{ id: "theirs" }]);
    expect((await cf(api, "GET", "/zones?status=pending")).result).toMatchObject([{ id: "new" }]);
  });

  it("DNS records: name, type and ttl required, AAAA content an IPv6 address, no CNAME beside an AAAA", async () => {
    await using api = await startFakeCloudflareApi({ zones: [{ id: "z", name: "tunnels.test" }] });
    const create = (body: unknown) => cf(api, "POST", "/zones/z/dns_records", { body });
    const record = { type: "AAAA", name: "*.tunnels.test", content: "100::", ttl: 1, proxied: true };
    // What deploy used to send: no ttl.
    expect((await create({ type: "AAAA", name: "*.tunnels.test", content: "100::", proxied: true })).status).toBe(400);
    expect((await create({ ...record, content: "192.0.2.1" })).status).toBe(400);
    expect((await create({ ...record, ttl: 30 })).status).toBe(400);
    expect((await create({ ...record, comment: "x".repeat(101) })).status).toBe(400);
    expect(await create(record)).toMatchObject({ status: 200, result: { name: "*.tunnels.test", proxied: true, proxiable: true } });
    expect(await create(record)).toMatchObject({ status: 400, code: 81058 });
    expect(await create({ ...record, type: "CNAME", content: "tunnels.test" })).toMatchObject({ status: 400, code: 81053 });
    expect((await cf(api, "GET", "/zones/z/dns_records?name=*.tunnels.test")).result).toHaveLength(1);
    expect((await cf(api, "GET", "/zones/z/dns_records?name=other.tunnels.test")).result).toEqual([]);
  });

  it("permissions: a wrangler-login token reads zones and Workers but gets 403 (10000) on DNS and certificates", async () => {
    await using api = await startFakeCloudflareApi({ zones: [{ id: "z", name: "example.test", acm: 1 }] });
    const token = api.oauthToken;
    expect((await cf(api, "GET", "/zones", { token })).status).toBe(200);
    expect((await cf(api, "GET", `/accounts/${api.accountId}/workers/subdomain`, { token })).status).toBe(200);
    expect((await cf(api, "GET", "/zones/z/workers/routes", { token })).status).toBe(200);
    for (const path of ["/zones/z/dns_records", "/zones/z/ssl/certificate_packs/quota", "/zones/z/ssl/certificate_packs"]) {
      expect(await cf(api, "GET", path, { token })).toMatchObject({
        status: 403,
        success: false,
        errors: [{ code: 10000, message: "Authentication error" }],
      });
    }
    expect((await cf(api, "POST", "/zones/z/ssl/certificate_packs/order", { token, body: ORDER })).status).toBe(403);
    // Only API tokens verify; unknown ones are 401 code 1000 there, 403 code 9109 elsewhere.
    expect(await cf(api, "GET", "/user/tokens/verify", { token })).toMatchObject({ status: 401, code: 1000 });
    expect(await cf(api, "GET", "/zones", { token: "nope" })).toMatchObject({ status: 403, code: 9109 });
  });

  it("errors: no workers.dev subdomain is 404 with code 10007; unknown calls 404 code 7000, and are recorded", async () => {
    await using api = await startFakeCloudflareApi({ workersSubdomain: null });
    expect(await cf(api, "GET", `/accounts/${api.accountId}/workers/subdomain`)).toMatchObject({ status: 404, code: 10007, result: null });
    expect(await cf(api, "GET", "/zones/z/nothing")).toMatchObject({ status: 404, code: 7000 });
    expect(api.unhandled).toEqual(["GET /zones/z/nothing"]);
  });
});
