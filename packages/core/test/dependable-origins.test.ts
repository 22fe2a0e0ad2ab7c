// The client survives its origins: an HTTP/1.0 file server, and origins that reset, stall or
// speak broken HTTP, while visitors read slowly, stop reading or leave.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
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
      const leaving = visit(url).then(async (response) => {
        const reader = response.body!.getReader();
        await reader.read();
        await reader.cancel();
      });
      const downloads = await Promise.all([curlHash(url, "20M"), curlHash(url, "40M"), curlHash(url, "60M"), curlHash(url)]);
      await leaving;
      expect(downloads).toEqual(downloads.map(() => ({ sha256: python.sha256, code: 0 })));
    }
    expect(cli.child.exitCode).toBeNull();
    expect(cli.output).not.toMatch(/AssertionError|Error:/);
  }, 120_000);
});
