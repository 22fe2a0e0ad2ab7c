// `pnpm smoke`: the built CLI end to end on this machine — dry-run deploy, local server, a tunnel
// to a real origin, and curl through it. Everything stays on loopback; see docs/smoke-test.md.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pc from "picocolors";

const CAPTUN = new URL("../packages/core/bin/captun.js", import.meta.url).pathname;
const home = await mkdtemp(join(tmpdir(), "captun-smoke-"));
const env = {
  ...process.env,
  XDG_CONFIG_HOME: home,
  NO_COLOR: "1",
  WRANGLER_SEND_METRICS: "false",
  CAPTUN_SERVER_URL: "",
  CAPTUN_SECRET: "",
};
const children: ChildProcess[] = [];

function start(args: string[]): { child: ChildProcess; waitFor(pattern: RegExp): Promise<RegExpMatchArray> } {
  const child = spawn(process.execPath, [CAPTUN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk));
  return {
    child,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`captun ${args.join(" ")}: no ${pattern} within 30 s:\n${output}`)), 30_000);
        const check = () => {
          const match = pattern.exec(output);
          if (match) {
            clearTimeout(deadline);
            resolve(match);
          } else if (child.exitCode !== null) {
            clearTimeout(deadline);
            reject(new Error(`captun ${args.join(" ")} exited (${child.exitCode}):\n${output}`));
          } else setTimeout(check, 50);
        };
        check();
      }),
  };
}

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  console.log(`${pc.green("✔")} ${name} ${pc.dim(`${Math.round(performance.now() - started)} ms`)}`);
  return result;
}

const origin = createServer((req, res) => res.end(`smoke ok ${req.method} ${req.url}`));
try {
  await step("captun deploy --dry-run (wrangler validates the bundled Worker)", async () => {
    await promisify(execFile)(process.execPath, [CAPTUN, "deploy", "--dry-run", "--yes"], { env });
  });
  const server = await step("captun server (workerd on loopback)", async () => {
    const { waitFor } = start(["server", "--port", "0"]);
    const [, port] = await waitFor(/Server:\s+http:\/\/localhost:(\d+)/);
    return { port: Number(port) };
  });
  await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
  const originPort = (origin.address() as AddressInfo).port;
  const publicUrl = await step(`captun ${originPort} --name smoke`, async () => {
    const { waitFor } = start([String(originPort), "--name", "smoke", "--no-qr"]);
    const [, url] = await waitFor(/Public:\s+(\S+)/);
    return url!;
  });
  await step(`curl ${publicUrl}/hello`, async () => {
    const { stdout } = await promisify(execFile)("curl", ["-sS", "--max-time", "10", `${publicUrl}/hello?x=1`]);
    if (stdout !== "smoke ok GET /hello?x=1") throw new Error(`unexpected body from ${publicUrl}: ${JSON.stringify(stdout)}`);
  });
  console.log(pc.green(`\nSmoke test passed (server on port ${server.port}).`));
} catch (error) {
  console.error(pc.red(`\nSmoke test failed: ${(error as Error).message}`));
  process.exitCode = 1;
} finally {
  for (const child of children.reverse()) {
    if (child.exitCode !== null) continue;
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  }
  origin.close();
  await rm(home, { recursive: true, force: true });
}
