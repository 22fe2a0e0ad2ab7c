// `node scripts/bench-upload.ts [--mib 90] [--rounds 3] [--piece-kib 256] [--drain]`: large uploads
// through one tunnel while sampling workerd's RSS, and whether backpressure reaches the visitor
// (a visitor that finishes writing long before the answer means workerd queued the difference).
// Builds the Worker from source into a temporary folder, so the piece size can be varied without
// touching the shared bundle. `--drain` makes the shard read the body itself (no tunnel): the
// floor for reading request bodies. Loopback only; every loop is bounded. See docs/benchmarks.md.
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Log, LogLevel, Miniflare } from "miniflare";
import { request } from "undici";
import { createCaptunTunnel, createOriginFetcher } from "../packages/core/src/index.ts";
import { WORKER_COMPATIBILITY_DATE } from "../packages/core/src/local-server.ts";
import { workerBuildOptions } from "../worker/esbuild-options.ts";
import { childPids, MiB, rssMiB, samplePeak } from "./bench-measure.ts";

const { values } = parseArgs({
  options: {
    mib: { type: "string", default: "90" },
    rounds: { type: "string", default: "3" },
    "piece-kib": { type: "string" },
    drain: { type: "boolean", default: false },
  },
});
const mib = Number(values.mib);
const rounds = Number(values.rounds);
const root = new URL("..", import.meta.url).pathname;
// esbuild is the Worker package's build tool, not a root dependency.
const { build } = createRequire(join(root, "worker/package.json"))("esbuild") as typeof import("esbuild");

const dir = mkdtempSync(join(tmpdir(), "captun-upload-"));
cpSync(join(root, "worker/src"), join(dir, "src"), { recursive: true });
const edit = (file: string, from: string | RegExp, to: string) => {
  const path = join(dir, file);
  const before = readFileSync(path, "utf8");
  const after = before.replace(from, to);
  if (after === before) throw new Error(`bench-upload: ${file} no longer contains ${from}; update this script`);
  writeFileSync(path, after);
};
if (values["piece-kib"])
  edit("src/request-body.ts", /const PIECE_BYTES = [^;]+;/, `const PIECE_BYTES = ${Number(values["piece-kib"]) * 1024};`);
if (values.drain) {
  edit(
    "src/shard.ts",
    "const tunnel = this.#tunnels.get(name);",
    `if (request.body) {
      let length = 0;
      for await (const chunk of coalescedRequestBody(request.body, Number.MAX_SAFE_INTEGER, Number.NaN, () => {})) length += chunk.byteLength;
      return new Response(JSON.stringify({ length }));
    }
    const tunnel = this.#tunnels.get(name);`,
  );
}
await build({
  ...workerBuildOptions,
  entryPoints: [join(dir, "src/index.ts")],
  outfile: join(dir, "worker.js"),
  alias: { captun: join(root, "packages/core/src/index.workerd.ts") },
});

const origin = createServer(async (req, res) => {
  const hash = createHash("sha256");
  let length = 0;
  for await (const chunk of req) {
    hash.update(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  res.end(JSON.stringify({ length, sha256: hash.digest("hex") }));
});
await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
const secret = "bench-upload-secret";
const mf = new Miniflare({
  host: "127.0.0.1",
  port: 0,
  modules: true,
  scriptPath: join(dir, "worker.js"),
  modulesRoot: dir,
  compatibilityDate: WORKER_COMPATIBILITY_DATE,
  durableObjects: { CAPTUN_SERVER_SHARD: "CaptunServerShard" },
  // Folder routing; no body limit, so uploads past 100 MB can show how memory scales.
  bindings: { CONNECT_SECRET: secret, SHARDS: "1", MAX_BODY_BYTES: String(Number.MAX_SAFE_INTEGER), HEADERS_TIMEOUT_MS: "30000" },
  cf: false,
  log: new Log(LogLevel.WARN),
});
const server = await mf.ready;
const workerd = childPids("workerd")[0];
if (workerd === undefined) throw new Error("bench-upload: no workerd child process found");
const fetcher = createOriginFetcher(`http://127.0.0.1:${(origin.address() as AddressInfo).port}`);
const tunnel = await createCaptunTunnel({ url: `${server.origin}/upload-bench`, secret, fetch: fetcher });
try {
  const piece = Buffer.alloc(MiB, 7);
  const expected = createHash("sha256");
  for (let i = 0; i < mib; i++) expected.update(piece);
  const expectedHash = expected.digest("hex");
  console.log(
    `${values.drain ? "drain in the shard" : "through the tunnel"}, ${values["piece-kib"] ?? "default"} KiB pieces, ${mib} MiB × ${rounds}`,
  );
  console.log(`workerd idle: ${rssMiB(workerd).toFixed(0)} MiB`);
  for (let round = 1; round <= rounds; round++) {
    const peak = samplePeak([workerd]);
    const start = performance.now();
    let sent = 0;
    let writtenMs = Number.NaN;
    const answer = await request(`${tunnel.url}/upload`, {
      method: "POST",
      body: (async function* () {
        for (; sent < mib; sent++) yield piece;
        writtenMs = performance.now() - start;
      })(),
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    const text = await answer.body.text();
    const ms = performance.now() - start;
    const [peakMiB = Number.NaN] = peak.stop();
    const result = answer.statusCode === 200 ? (JSON.parse(text) as { length: number; sha256?: string }) : undefined;
    const intact = result?.length === mib * MiB && (values.drain || result.sha256 === expectedHash);
    console.log(
      `round ${round}: ${answer.statusCode} ${intact ? "intact" : text.slice(0, 100)}, ${(mib / (ms / 1000)).toFixed(0)} MiB/s; ` +
        `visitor wrote ${sent} MiB, the last after ${writtenMs.toFixed(0)} of ${ms.toFixed(0)} ms; ` +
        `workerd peak ${peakMiB.toFixed(0)} MiB, after ${rssMiB(workerd).toFixed(0)} MiB`,
    );
  }
} finally {
  await tunnel.close();
  await fetcher.close();
  await mf.dispose();
  origin.closeAllConnections();
  origin.close();
  rmSync(dir, { recursive: true, force: true });
}
