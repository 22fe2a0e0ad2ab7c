// `captun` as users get it: packed with pnpm, installed with npm into a Worker project outside the
// workspace, bundled by esbuild the way wrangler does, run in workerd. A large upload crosses a
// tunnel from the user's Durable Object to a slow reader in Node, with workerd's clock standing
// still between writes and acknowledgements (as it does on a fast machine). Stock Cap'n Web 0.12.0
// then computes a NaN window: the upload stalls every time (checked by removing the fix from the
// bundle), or, when the sender was not waiting, workerd queues all of it. So this proves the
// published package carries the fix (docs/upstream/capnweb-flow-control.md).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { Log, LogLevel, Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workerBuildOptions } from "../../../worker/esbuild-options.ts";
import { WORKER_COMPATIBILITY_DATE } from "../src/local-server.ts";

const MiB = 1024 * 1024;
const UPLOAD_MIB = 160;
/** Cap'n Web's largest stream window is 8 MiB; a working flow control stays within it. */
const MAX_AHEAD = 8 * MiB;
const core = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);

let project: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), "captun-packed-worker-"));
  await run("pnpm", ["pack", "--pack-destination", project], { cwd: core });
  const tarball = (await readdir(project)).find((name) => name.endsWith(".tgz"));
  if (!tarball) throw new Error("pnpm pack wrote no tarball");
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "my-worker", private: true, type: "module" }));
  await cp(new URL("fixtures/packed-worker/index.js", import.meta.url), join(project, "src/index.js"));
  await run("npm", ["install", `./${tarball}`, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: project });
}, 120_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

/** workerd processes started by this test process (Miniflare runs one per instance). */
async function workerdPids(): Promise<Set<number>> {
  const pids = new Set<number>();
  for (const entry of await readdir("/proc")) {
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const match = /^\d+ \((.*)\) \S (\d+)/.exec(stat);
    if (match?.[1] === "workerd" && Number(match[2]) === process.pid) pids.add(Number(entry));
  }
  return pids;
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

/** A streamed request body of `mib` one-MiB pieces, made as it is read; `sha256()` once it is sent. */
function uploadBody(mib: number): { body: ReadableStream<Uint8Array>; sha256: () => string } {
  const hash = createHash("sha256");
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === mib) return controller.close();
      const piece = new Uint8Array(MiB).fill((next++ * 7) % 251);
      hash.update(piece);
      controller.enqueue(piece);
    },
  });
  return { body, sha256: () => hash.digest("hex") };
}

describe("the packed captun inside a user's Worker", () => {
  it("sends a large upload down a tunnel from the user's Durable Object, never far ahead of its reader, with bounded workerd memory", async () => {
    const bundle = await build({
      ...workerBuildOptions,
      entryPoints: [join(project, "src/index.js")],
      absWorkingDir: project,
      write: false,
      metafile: true,
    });
    // The Worker got captun from the installed tarball, not from the workspace.
    expect(Object.keys(bundle.metafile.inputs)).toContain("node_modules/captun/dist/index.workerd.js");

    const before = await workerdPids();
    const mf = new Miniflare({
      host: "127.0.0.1",
      port: 0,
      modules: true,
      script: bundle.outputFiles[0]?.text ?? "",
      compatibilityDate: WORKER_COMPATIBILITY_DATE,
      durableObjects: { FORWARDER: "Forwarder" },
      bindings: { FROZEN_CLOCK: "1" },
      cf: false,
      log: new Log(LogLevel.WARN),
    });
    await using _worker = { [Symbol.asyncDispose]: () => mf.dispose() };
    const url = (await mf.ready).origin;
    const [workerd, ...others] = [...(await workerdPids())].filter((pid) => !before.has(pid));
    if (workerd === undefined || others.length) throw new Error("expected exactly one new workerd process");

    // The Node side is the packed package too. It reads slowly: before each next piece it asks the
    // Worker how much of the upload it has handed to the tunnel.
    const captun = (await import(
      pathToFileURL(join(project, "node_modules/captun/dist/index.js")).href
    )) as typeof import("../src/index.ts");
    let mostAhead = 0;
    await using _tunnel = await captun.createCaptunTunnel({
      url: `${url}/tunnel`,
      // Cap'n Web streams, the path older peers use, which is where the patch matters (body
      // frames have their own credit and are covered by body-frames.e2e.test.ts).
      bodyFrames: false,
      fetch: async (request) => {
        const hash = createHash("sha256");
        let length = 0;
        const reader = (request.body as ReadableStream<Uint8Array>).getReader();
        for (let read = await reader.read(); !read.done; read = await reader.read()) {
          const chunk = read.value;
          hash.update(chunk);
          length += chunk.byteLength;
          if (new URL(request.url).pathname !== "/upload") continue;
          const { bytes } = (await (await fetch(`${url}/pulled`)).json()) as { bytes: number };
          mostAhead = Math.max(mostAhead, bytes - length);
        }
        return Response.json({ length, sha256: hash.digest("hex") });
      },
    });

    // A visitor's upload, forwarded as is; then workerd's resting size.
    const { body, sha256 } = uploadBody(4);
    const forwarded = fetch(`${url}/visitor-upload`, { method: "POST", body, duplex: "half" } as RequestInit);
    expect(
      await unlessStalled(
        forwarded.then((response) => response.json()),
        15_000,
      ),
    ).toEqual({ length: 4 * MiB, sha256: sha256() });
    const idle = await rssMiB(workerd);

    let peak = idle;
    const sampler = setInterval(async () => {
      peak = Math.max(peak, await rssMiB(workerd).catch(() => 0));
    }, 20);
    try {
      const answer = fetch(`${url}/generate?mib=${UPLOAD_MIB}`).then((response) => response.json());
      expect(await unlessStalled(answer, 35_000)).toEqual({ length: UPLOAD_MIB * MiB, sha256: expectedGeneratedSha256(UPLOAD_MIB) });
    } finally {
      clearInterval(sampler);
    }
    expect(mostAhead).toBeLessThanOrEqual(MAX_AHEAD);
    // What remains is garbage-collector headroom (45–50 MiB measured), well below the upload;
    // a sender that does not wait queues the whole upload in workerd.
    expect(peak - idle, `workerd RSS ${idle.toFixed(0)} → ${peak.toFixed(0)} MiB`).toBeLessThan(UPLOAD_MIB / 2);
  }, 60_000);
});

/** `promise`'s value, or "stalled" if it takes longer than `ms` (a stalled stream never settles). */
async function unlessStalled<T>(promise: Promise<T>, ms: number): Promise<T | "stalled"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<"stalled">((resolve) => {
    timer = setTimeout(() => resolve("stalled"), ms);
  });
  try {
    return await Promise.race([promise, stalled]);
  } finally {
    clearTimeout(timer);
  }
}

/** The sha256 of the fixture's `/generate` body: 256 KiB pieces of sevens. */
function expectedGeneratedSha256(mib: number): string {
  const piece = new Uint8Array(256 * 1024).fill(7);
  const hash = createHash("sha256");
  for (let i = 0; i < mib * 4; i++) hash.update(piece);
  return hash.digest("hex");
}
