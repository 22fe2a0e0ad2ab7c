// The client survives its origins: an HTTP/1.0 file server, and origins that reset, stall or
// speak broken HTTP, while visitors read slowly, stop reading or leave.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { uniqueName, visit } from "./_harness.ts";
import { runCli, tempConfigHome } from "./fixtures/cli-process.ts";

const FILE_BYTES = 20 * 1024 * 1024;

/** `python3 -m http.server` on 127.0.0.1 serving one random file; resolves once it listens. */
async function startPythonFileServer() {
  const dir = await mkdtemp(join(tmpdir(), "captun-py-"));
  const file = randomBytes(FILE_BYTES);
  await writeFile(join(dir, "big.bin"), file);
  const free = await freePort();
  const child: ChildProcess = spawn("python3", ["-u", "-m", "http.server", String(free), "--bind", "127.0.0.1", "--directory", dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Serving HTTP/.test(output)) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", () => {});
    child.once("exit", (code) => reject(new Error(`python3 -m http.server exited (${code}): ${output}`)));
  });
  return {
    url: `http://127.0.0.1:${free}`,
    sha256: sha256(file),
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** curl's download of `url`: its sha256 and exit code; `rate` caps how fast it reads (a slow visitor). */
async function curlHash(url: string, rate?: string): Promise<{ sha256: string; code: number }> {
  const { hostname, port } = new URL(url);
  const args = ["-sS", "--max-time", "60", "--resolve", `${hostname}:${port}:127.0.0.1`, ...(rate ? ["--limit-rate", rate] : []), url];
  const child = spawn("curl", args, { stdio: ["ignore", "pipe", "ignore"] });
  const hash = createHash("sha256");
  child.stdout?.on("data", (chunk: Buffer) => hash.update(chunk));
  const code = await new Promise<number>((resolve) => child.once("close", (exit) => resolve(exit ?? -1)));
  return { sha256: hash.digest("hex"), code };
}

/** A curl visitor that hangs up as soon as the first bytes of the body arrive. */
async function curlThatLeaves(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  const child = spawn("curl", ["-sS", "--max-time", "60", "--resolve", `${hostname}:${port}:127.0.0.1`, url], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  child.stdout?.once("data", () => child.kill("SIGKILL"));
  await new Promise((resolve) => child.once("close", resolve));
}

describe("an HTTP/1.0 origin (python3 -m http.server)", () => {
  it("serves a 20 MiB file whole, again and again, to fast, slow and leaving visitors", async () => {
    await using python = await startPythonFileServer();
    await using home = await tempConfigHome();
    await using server = runCli(["server", "--port", "0"], { XDG_CONFIG_HOME: home.path });
    await server.waitFor(/Server:\s+http/);
    await using cli = runCli([new URL(python.url).port, "--name", uniqueName("py")], { XDG_CONFIG_HOME: home.path });
    const [, publicUrl] = await cli.waitFor(/Public:\s+(\S+)/);
    const url = `${publicUrl}/big.bin`;
    // Rate-limited visitors make the tunnel hold the origin back: the origin's close then lands
    // on a body paused for backpressure (undici 7's `assert(!this.paused)` killed the client here).
    for (let round = 0; round < 4; round++) {
      const leaving = curlThatLeaves(url);
      const downloads = await Promise.all([curlHash(url, "20M"), curlHash(url, "40M"), curlHash(url, "60M"), curlHash(url)]);
      await leaving;
      expect(downloads).toEqual(downloads.map(() => ({ sha256: python.sha256, code: 0 })));
    }
    expect(cli.child.exitCode).toBeNull();
    expect(cli.output).not.toMatch(/AssertionError|Error:/);
  }, 120_000);
});

/**
 * A raw TCP origin that misbehaves on purpose, by path:
 * /reset: declares 1 MiB, sends 64 KiB, then resets the connection;
 * /reset-chunked: the same without a length;
 * /slow: answers after the visitor's first request to /release;
 * /garbage: answers something that is not HTTP;
 * /close-delimited: HTTP/1.0 with no length, the body ends when the connection does (1 MiB);
 * /early-close: declares 10 bytes and closes after 4.
 */
async function startMisbehavingOrigin() {
  const waiting: Socket[] = [];
  let slowArrivals = 0;
  const server = createServer((socket) => {
    socket.on("error", () => {});
    socket.once("data", (data) => {
      const path = /^[A-Z]+ (\S+)/.exec(data.toString("latin1"))?.[1] ?? "/";
      const head = (lines: string[]) => socket.write(`${lines.join("\r\n")}\r\n\r\n`);
      switch (path) {
        case "/reset":
        case "/reset-chunked":
          head(["HTTP/1.1 200 OK", ...(path === "/reset" ? ["Content-Length: 1048576"] : ["Transfer-Encoding: chunked"])]);
          socket.write(path === "/reset" ? Buffer.alloc(65536, 1) : `10000\r\n${"x".repeat(65536)}\r\n`, () => socket.resetAndDestroy());
          return;
        case "/slow":
          slowArrivals++;
          waiting.push(socket);
          return;
        case "/release":
          for (const slow of waiting.splice(0)) slow.end("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nslow");
          socket.end("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
          return;
        case "/garbage":
          socket.end("this is not HTTP at all\r\n\r\n");
          return;
        case "/close-delimited":
          head(["HTTP/1.0 200 OK", "Content-Type: application/octet-stream"]);
          socket.end(Buffer.alloc(1024 * 1024, 2));
          return;
        case "/early-close":
          head(["HTTP/1.1 200 OK", "Content-Length: 10"]);
          socket.end("four");
          return;
        default:
          socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    /** Requests to /slow that reached the origin so far. */
    get slowArrivals() {
      return slowArrivals;
    },
    async [Symbol.asyncDispose]() {
      for (const socket of waiting) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A visitor asking for the body as it is: Miniflare's own entry Worker (local server only) gzips
 * for visitors that accept it, and its compressor ends a cut-off body cleanly.
 */
function get(url: string, init: { signal?: AbortSignal } = {}) {
  return visit(url, { ...init, headers: { "accept-encoding": "identity" } });
}

type VisitorResponse = Awaited<ReturnType<typeof visit>>;

/** True when the visitor can tell it failed: a captun error status, or a body that errors. */
async function failedVisibly(response: VisitorResponse): Promise<boolean> {
  if (response.status === 502 && response.headers.get("x-captun-error")) return true;
  return (await drain(response)) instanceof Error;
}

/** Reads a whole body; resolves with its byte count, or the error that ended it. */
async function drain(response: VisitorResponse): Promise<number | Error> {
  try {
    return (await response.arrayBuffer()).byteLength;
  } catch (error) {
    return error as Error;
  }
}

describe("origins that misbehave", () => {
  it("end that one request with a visible error, never the client process", async () => {
    await using home = await tempConfigHome();
    await using origin = await startMisbehavingOrigin();
    await using server = runCli(["server", "--port", "0"], { XDG_CONFIG_HOME: home.path });
    await server.waitFor(/Server:\s+http/);
    await using cli = runCli([String(origin.port), "--name", uniqueName("bad")], { XDG_CONFIG_HOME: home.path });
    const [, publicUrl] = await cli.waitFor(/Public:\s+(\S+)/);

    for (let round = 0; round < 3; round++) {
      // A reset after part of a declared length: the visitor's body errors, slow readers included.
      expect(await failedVisibly(await get(`${publicUrl}/reset`))).toBe(true);
      expect(await curlHash(`${publicUrl}/reset`, "200K").then((r) => r.code)).not.toBe(0);
      // A reset of a chunked body ends the visitor's request (no hang).
      await drain(await get(`${publicUrl}/reset-chunked`));
      // Too few bytes for the declared length: an error, not a short body that looks whole.
      expect(await failedVisibly(await get(`${publicUrl}/early-close`))).toBe(true);
      // Not HTTP: 502 from captun.
      const garbage = await get(`${publicUrl}/garbage`);
      expect(garbage.status).toBe(502);
      expect(garbage.headers.get("x-captun-error")).toBeTruthy();
      // A body that ends with the connection (HTTP/1.0) arrives whole, to a slow reader too.
      expect(await drain(await get(`${publicUrl}/close-delimited`))).toBe(1024 * 1024);
      expect(await curlHash(`${publicUrl}/close-delimited`, "2M")).toMatchObject({ code: 0 });
      // A visitor that leaves a slow answer, and one that waits for it.
      const arrivals = origin.slowArrivals;
      const leaving = new AbortController();
      const left = get(`${publicUrl}/slow`, { signal: leaving.signal }).catch((error: Error) => error);
      await expect.poll(() => origin.slowArrivals).toBe(arrivals + 1);
      leaving.abort();
      expect(await left).toBeInstanceOf(Error);
      const waiting = get(`${publicUrl}/slow`);
      await expect.poll(() => origin.slowArrivals).toBe(arrivals + 2);
      expect((await get(`${publicUrl}/release`)).status).toBe(204);
      expect(await (await waiting).text()).toBe("slow");
    }
    expect(await (await get(`${publicUrl}/`)).text()).toBe("ok");
    expect(cli.child.exitCode).toBeNull();
    expect(cli.output).not.toMatch(/AssertionError|Uncaught|at .*\.js:\d+/);
  }, 120_000);
});
