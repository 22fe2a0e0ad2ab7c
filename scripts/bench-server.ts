// A server for `pnpm bench` in its own process, so its front never shares an event loop with the
// visitor (in one process, the front pumping a large body delayed the visitor's own reading of
// the headers by ~15 ms per 16 MiB) and its CPU can be read apart:
// `captun [folder|subdomain]` — the local server (workerd behind its node:http front), as
// `captun server` runs it; `worker <origin URL>` — a plain pass-through Worker behind the same front.
// Prints one JSON line once ready: { url, secret?, customHostname?, workerdPid }. Ends when stdin closes.
import { startLocalServer } from "captun";
import { Log, LogLevel, Miniflare } from "miniflare";
// Not in captun's public entry: the local server's stand-in for Cloudflare's edge, from source.
import { startLocalFront } from "../packages/core/src/_local-front.ts";
import { WORKER_COMPATIBILITY_DATE } from "../packages/core/src/local-server.ts";
import { childPids } from "./bench-measure.ts";

const PASS_THROUGH_WORKER = `export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(new Request(env.ORIGIN + url.pathname + url.search, request));
  },
};`;

const [kind, argument] = process.argv.slice(2);
let close: () => Promise<unknown>;
if (kind === "captun") {
  const server = await startLocalServer({ routing: argument === "subdomain" ? "subdomain" : "folder" });
  close = () => server.close();
  const { url, secret, customHostname } = server;
  process.stdout.write(`${JSON.stringify({ url, secret, customHostname, workerdPid: childPids("workerd")[0] })}\n`);
} else {
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    modules: true,
    script: PASS_THROUGH_WORKER,
    // The captun Worker's date, so both run with the same workerd behaviour.
    compatibilityDate: WORKER_COMPATIBILITY_DATE,
    bindings: { ORIGIN: argument ?? "" },
    cf: false,
    log: new Log(LogLevel.WARN),
    // Its own socket, as the local server uses (not Miniflare's entry worker).
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  });
  await mf.ready;
  // Behind the same front as the local server (where Cloudflare's edge would be for both), so
  // captun's figures differ from it by the tunnel alone.
  // The pass-through Worker has no body limit of its own.
  const front = await startLocalFront("127.0.0.1", 0, Number((await mf.unsafeGetDirectURL()).port), Number.POSITIVE_INFINITY);
  close = () => front.close().then(() => mf.dispose());
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${front.port}`, workerdPid: childPids("workerd")[0] })}\n`);
}
process.stdin.resume();
process.stdin.on("end", async () => {
  await close().catch(() => {});
  process.exit(0);
});
