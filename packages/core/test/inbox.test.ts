// The webhook inbox: requests to inbox paths that arrive while no client is connected are kept by
// the shard (Durable Object storage) and delivered in order, once, when a client connects again.
import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCapture } from "../src/capture.ts";
import { createCaptunTunnel } from "../src/client.ts";
import {
  decodeInboxPatterns,
  INBOX_ARRIVED_HEADER,
  INBOX_ID_HEADER,
  INBOX_STATUS_HEADER,
  inboxPatternProblem,
  matchesInboxPath,
} from "../src/inbox-paths.ts";
import { createOriginFetcher } from "../src/origin.ts";
import { ERROR_HEADER } from "../src/protocol.ts";
import { readBody, startOrigin, startTestServer, type TestServer, uniqueName, visit } from "./_harness.ts";
import { runCli, tempConfigHome } from "./fixtures/cli-process.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ vars: { INBOX_MAX_REQUESTS: "5", INBOX_MAX_BYTES: "10000", INBOX_MAX_REQUEST_BYTES: "4000" } });
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

interface Received {
  path: string;
  body: string;
  inboxId: string | undefined;
  arrivedAt: string | undefined;
}

/** An origin that records what it fully received and answered. */
async function recordingOrigin(hold?: (req: IncomingMessage, body: string) => Promise<void> | void) {
  const answered: Received[] = [];
  const arrived: Received[] = [];
  const origin = await startOrigin(async (req, res) => {
    const body = (await readBody(req)).toString();
    const entry = {
      path: req.url!,
      body,
      inboxId: req.headers[INBOX_ID_HEADER] as string | undefined,
      arrivedAt: req.headers[INBOX_ARRIVED_HEADER] as string | undefined,
    };
    arrived.push(entry);
    await hold?.(req, body);
    res.once("finish", () => answered.push(entry));
    res.end(`ok ${body}`);
  });
  return Object.assign(origin, { answered, arrived });
}

async function connect(name: string, originUrl: string, inbox: string[] = ["/webhooks/**"], on: TestServer = server) {
  const capture = createCapture();
  const fetcher = createOriginFetcher(originUrl);
  const tunnel = await createCaptunTunnel({ url: on.tunnelUrl(name), secret: on.secret, fetch: capture.wrap(fetcher), inbox });
  return Object.assign(tunnel, {
    capture,
    async [Symbol.asyncDispose]() {
      await tunnel.close();
      await fetcher.close();
    },
  });
}

async function post(url: string, body: string) {
  const response = await visit(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe("inbox paths", () => {
  it("matches * within a segment and ** across segments, on the path only", () => {
    const patterns = ["/webhooks/**", "/hooks/*/event", "/exact"];
    for (const path of ["/webhooks", "/webhooks/", "/webhooks/stripe", "/webhooks/a/b/c", "/hooks/github/event", "/exact"]) {
      expect({ path, match: matchesInboxPath(patterns, path) }).toEqual({ path, match: true });
    }
    for (const path of ["/webhooksx", "/web/hooks", "/hooks/a/b/event", "/hooks/event", "/exact/more", "/"]) {
      expect({ path, match: matchesInboxPath(patterns, path) }).toEqual({ path, match: false });
    }
    expect(matchesInboxPath(["/a.b"], "/axb")).toBe(false);
  });

  it("refuses malformed patterns and drops them from a header", () => {
    expect(inboxPatternProblem(["webhooks/**"])).toMatch(/must start with "\/"/);
    expect(inboxPatternProblem(["/a,b"])).toBeDefined();
    expect(inboxPatternProblem(Array.from({ length: 17 }, (_, i) => `/p${i}`))).toMatch(/At most 16/);
    expect(decodeInboxPatterns("/webhooks/**, bad, /x?y=1 ,/ok")).toEqual(["/webhooks/**", "/ok"]);
  });
});

describe("inbox", () => {
  it("keeps three webhooks while offline (202 + id) and delivers them in order, once, marked as late", async () => {
    await using origin = await recordingOrigin();
    const name = uniqueName("inbox");
    const url = server.tunnelUrl(name);
    // Registering the inbox paths is part of connecting; then the client goes away.
    await (await connect(name, origin.url))[Symbol.asyncDispose]();

    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const answer = await post(`${url}/webhooks/github?n=${n}`, `{"n":${n}}`);
      expect(answer.status).toBe(202);
      expect(answer.headers.get(INBOX_STATUS_HEADER)).toBe("queued");
      const id = answer.headers.get(INBOX_ID_HEADER)!;
      expect(JSON.parse(answer.text)).toEqual({ queued: true, id });
      ids.push(id);
    }
    expect(new Set(ids).size).toBe(3);
    // Other paths behave as before: offline is offline.
    const other = await post(`${url}/api/other`, "{}");
    expect(other.status).toBe(503);
    expect(other.headers.get(ERROR_HEADER)).toBe("tunnel-offline");
    expect(origin.arrived).toEqual([]);

    const reconnectedAt = Date.now();
    await using tunnel = await connect(name, origin.url);
    await expect.poll(() => origin.answered.length, { timeout: 15_000 }).toBe(3);
    expect(origin.answered.map((r) => [r.path, r.body, r.inboxId])).toEqual([
      ["/webhooks/github?n=1", '{"n":1}', ids[0]],
      ["/webhooks/github?n=2", '{"n":2}', ids[1]],
      ["/webhooks/github?n=3", '{"n":3}', ids[2]],
    ]);
    for (const r of origin.answered) expect(Date.parse(r.arrivedAt!)).toBeLessThanOrEqual(reconnectedAt);

    // A live webhook now goes straight through, after the three: nothing was delivered twice.
    expect((await post(`${url}/webhooks/github?n=4`, '{"n":4}')).text).toBe('ok {"n":4}');
    expect(origin.arrived.map((r) => r.body)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
    const late = tunnel.capture.list().filter((exchange) => exchange.inbox);
    expect(late.map((exchange) => exchange.inbox!.id).reverse()).toEqual(ids);
    expect(late.every((exchange) => exchange.inbox!.arrivedAt <= reconnectedAt && exchange.status === 200)).toBe(true);
  });

  it("delivers exactly once, in order, when the client is killed in the middle of delivering", async () => {
    await using home = await tempConfigHome();
    let release!: () => void;
    const holding = new Promise<void>((resolve) => {
      release = resolve;
    });
    let attemptsOf2 = 0;
    await using origin = await recordingOrigin(async (_req, body) => {
      // The first delivery of #2 never gets its answer out: the client dies while the origin works on it.
      if (body === "2" && ++attemptsOf2 === 1) await holding;
    });
    const name = uniqueName("inboxkill");
    const url = server.tunnelUrl(name);
    const env = {
      XDG_CONFIG_HOME: home.path,
      CAPTUN_SERVER_URL: server.url,
      CAPTUN_SECRET: server.secret,
      CAPTUN_CUSTOM_HOSTNAME: server.customHostname ?? "",
    };
    const args = [origin.url, "--name", name, "--inbox", "/webhooks/**", "--no-inspect", "--no-qr"];
    const first = runCli(args, env);
    await first.waitFor(/Public:/);
    first.child.kill("SIGTERM");
    await first.exited;

    for (const n of ["1", "2", "3"]) expect((await post(`${url}/webhooks/x`, n)).status).toBe(202);

    const second = runCli(args, env);
    await expect.poll(() => attemptsOf2, { timeout: 20_000 }).toBe(1);
    second.child.kill("SIGKILL");
    await second.exited;
    release();

    await using third = runCli(args, env);
    await expect.poll(() => origin.answered.length, { timeout: 20_000 }).toBe(3);
    expect(origin.answered.map((r) => r.body)).toEqual(["1", "2", "3"]);
    // #1 was acknowledged before the kill and never came again; #2 came again with the same id.
    expect(origin.arrived.map((r) => r.body)).toEqual(["1", "2", "2", "3"]);
    expect(origin.arrived[1]!.inboxId).toBe(origin.arrived[2]!.inboxId);
    expect((await post(`${url}/webhooks/x`, "4")).status).toBe(200);
    expect(origin.answered.map((r) => r.body)).toEqual(["1", "2", "3", "4"]);
    await third[Symbol.asyncDispose]();
  });

  it("answers 413 over the per-request size and 503 inbox-full past the count and byte limits", async () => {
    await using origin = await recordingOrigin();
    const name = uniqueName("inboxfull");
    const url = server.tunnelUrl(name);
    await (await connect(name, origin.url))[Symbol.asyncDispose]();

    const tooBig = await post(`${url}/webhooks/big`, "x".repeat(4001));
    expect(tooBig.status).toBe(413);
    expect(tooBig.headers.get(ERROR_HEADER)).toBe("body-too-large");
    // The byte limit (10,000): two of 3,500 fit, the third does not.
    expect((await post(`${url}/webhooks/a`, "a".repeat(3500))).status).toBe(202);
    expect((await post(`${url}/webhooks/b`, "b".repeat(3500))).status).toBe(202);
    const overBytes = await post(`${url}/webhooks/c`, "c".repeat(3500));
    expect(overBytes.status).toBe(503);
    expect(overBytes.headers.get(ERROR_HEADER)).toBe("inbox-full");
    // The count limit (5): three more small ones fit, the sixth does not.
    for (const n of [1, 2, 3]) expect((await post(`${url}/webhooks/s`, String(n))).status).toBe(202);
    const overCount = await post(`${url}/webhooks/s`, "4");
    expect(overCount.status).toBe(503);
    expect(overCount.headers.get(ERROR_HEADER)).toBe("inbox-full");

    // Delivering frees the inbox again.
    await using tunnel = await connect(name, origin.url);
    await expect.poll(() => origin.answered.length, { timeout: 15_000 }).toBe(5);
    await tunnel.close();
    expect((await post(`${url}/webhooks/again`, "again")).status).toBe(202);
  });

  it("drops requests older than the TTL, which frees their room", async () => {
    await using shortLived = await startTestServer({ vars: { INBOX_MAX_REQUESTS: "1", INBOX_TTL_SECONDS: "1" } });
    await using origin = await recordingOrigin();
    const name = uniqueName("inboxttl");
    const url = shortLived.tunnelUrl(name);
    await (await connect(name, origin.url, ["/webhooks/**"], shortLived))[Symbol.asyncDispose]();

    expect((await post(`${url}/webhooks/old`, "old")).status).toBe(202);
    expect((await post(`${url}/webhooks/full`, "full")).status).toBe(503);
    // Once the first one is older than a second, it is dropped and the next one fits.
    await expect.poll(async () => (await post(`${url}/webhooks/new`, "new")).status, { timeout: 10_000, interval: 200 }).toBe(202);

    await using _tunnel = await connect(name, origin.url, ["/webhooks/**"], shortLived);
    await expect.poll(() => origin.answered.length, { timeout: 10_000 }).toBe(1);
    expect(origin.answered.map((r) => r.body)).toEqual(["new"]);
  });

  it("does not let a visitor fake a late delivery, and forgets inbox paths a client no longer names", async () => {
    await using origin = await recordingOrigin();
    const name = uniqueName("inboxspoof");
    const url = server.tunnelUrl(name);
    {
      await using _tunnel = await connect(name, origin.url);
      await visit(`${url}/webhooks/x`, {
        method: "POST",
        headers: { [INBOX_ID_HEADER]: "fake", [INBOX_ARRIVED_HEADER]: "2000-01-01T00:00:00Z" },
        body: "spoof",
      });
      expect(origin.arrived.at(-1)).toMatchObject({ body: "spoof", inboxId: undefined, arrivedAt: undefined });
    }
    // Reconnecting without inbox paths unregisters them.
    await (await connect(name, origin.url, []))[Symbol.asyncDispose]();
    const offline = await post(`${url}/webhooks/x`, "late");
    expect(offline.status).toBe(503);
    expect(offline.headers.get(ERROR_HEADER)).toBe("tunnel-offline");
  });
});
