// Shared test helpers: a captun server (local workerd, or a deployed one via CAPTUN_SERVER_URL),
// real node:http origins, and a visitor `fetch` that resolves *.localhost to loopback.
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, type RequestInit as UndiciRequestInit, fetch as undiciFetch } from "undici";
import { localhostLookup } from "../src/_localhost.ts";
import { createCaptunTunnel } from "../src/client.ts";
import { type LocalServerOptions, startLocalServer } from "../src/local-server.ts";
import { createOriginFetcher } from "../src/origin.ts";
import { ERROR_HEADER } from "../src/protocol.ts";
import { tunnelUrlFor } from "../src/routing.ts";

export interface TestServer extends AsyncDisposable {
  url: string;
  secret: string;
  customHostname: string | undefined;
  /** Public URL of tunnel `name` on this server. */
  tunnelUrl(name: string): string;
  /** True when running against a real deployment (some local-only knobs are unavailable). */
  deployed: boolean;
}

let counter = 0;
/** A tunnel name unique to this test run. */
export function uniqueName(prefix = "t"): string {
  return `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The captun server under test: `CAPTUN_SERVER_URL` (+ `CAPTUN_SECRET`) when set, else local workerd. */
export async function startTestServer(options: LocalServerOptions = {}): Promise<TestServer> {
  const deployedUrl = process.env.CAPTUN_SERVER_URL;
  if (deployedUrl && !options.vars) {
    const customHostname = process.env.CAPTUN_CUSTOM_HOSTNAME || undefined;
    return {
      url: deployedUrl,
      secret: process.env.CAPTUN_SECRET ?? "",
      customHostname,
      tunnelUrl: (name) => tunnelUrlFor(deployedUrl, name, customHostname),
      deployed: true,
      async [Symbol.asyncDispose]() {},
    };
  }
  const server = await startLocalServer(options);
  return {
    url: server.url,
    secret: server.secret,
    customHostname: server.customHostname,
    tunnelUrl: (name) => tunnelUrlFor(server.url, name, server.customHostname),
    deployed: false,
    [Symbol.asyncDispose]: () => server.close(),
  };
}

/** A tunnel on `server` that forwards to a real origin (WebSockets too), disposing both. */
export async function tunnelToOrigin(server: TestServer, originUrl: string, name = uniqueName()) {
  const fetcher = createOriginFetcher(originUrl);
  const tunnel = await createCaptunTunnel({ url: server.tunnelUrl(name), secret: server.secret, fetch: fetcher });
  return Object.assign(tunnel, {
    async [Symbol.asyncDispose]() {
      await tunnel.close();
      await fetcher.close();
    },
  });
}

export interface TestOrigin extends AsyncDisposable {
  url: string;
  server: Server;
}

/** A real node:http origin on 127.0.0.1 and a free port. */
export async function startOrigin(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestOrigin> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const visitorAgent = new Agent({ connect: { lookup: localhostLookup as never } });

/** A visitor's fetch: like the browser's, `*.localhost` resolves to loopback. */
export function visit(url: string, init: UndiciRequestInit = {}) {
  return undiciFetch(url, { dispatcher: visitorAgent, redirect: "manual", ...init });
}

/**
 * POSTs `size` zero bytes with a declared length through Node's own HTTP client, which sends a body
 * as fast as the socket takes it (undici's fetch paces it): the case where an early answer races
 * the upload. Resolves with the status, the `x-captun-error` code and the body.
 */
export function uploadAtFullSpeed(url: string, size: number): Promise<{ status: number; code: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const upload = request(
      url,
      { method: "POST", headers: { "content-length": String(size) }, lookup: localhostLookup as never, agent: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, code: res.headers[ERROR_HEADER] as string | undefined, text }));
      },
    );
    upload.on("error", reject);
    upload.end(Buffer.alloc(size));
  });
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Resolves when `predicate` holds, polling until `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
