// What `pnpm bench` compares: the origin, a plain pass-through Worker (the floor for anything
// served by a Worker), and captun (the local server with a client in its own process).
import { fileURLToPath } from "node:url";
import { type LocalServer, startLocalServer, tunnelUrlFor } from "captun";
import { Log, LogLevel, Miniflare } from "miniflare";
// Not in captun's public entry: the local server's stand-in for Cloudflare's edge, from source.
import { startLocalFront } from "../packages/core/src/_local-front.ts";
import { childPids, type JsonChild, spawnJsonChild } from "./bench-measure.ts";

export const script = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));
/** The `captun` command as installed (needs `pnpm build`). */
export const CLI = fileURLToPath(new URL("../packages/core/bin/captun.js", import.meta.url));

// The same date as the captun Worker, so both run with the same workerd behaviour.
const COMPATIBILITY_DATE = "2026-07-01";

const PASS_THROUGH_WORKER = `export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(new Request(env.ORIGIN + url.pathname + url.search, request));
  },
};`;

export interface Targets extends AsyncDisposable {
  origin: JsonChild;
  passThrough: { url: string; workerdPid: number | undefined };
  captun: { server: LocalServer; client: JsonChild; url: string; workerdPid: number | undefined };
}

async function newWorkerd<T>(start: () => Promise<T>): Promise<{ value: T; pid: number | undefined }> {
  const before = new Set(childPids("workerd"));
  const value = await start();
  return { value, pid: childPids("workerd").find((pid) => !before.has(pid)) };
}

export async function startTargets(): Promise<Targets> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const dispose = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const origin = await spawnJsonChild(script("bench-origin.ts"), []);
    cleanups.push(origin.stop);
    const originUrl = origin.line.url as string;

    const passThrough = await newWorkerd(async () => {
      const mf = new Miniflare({
        host: "127.0.0.1",
        port: 0,
        modules: true,
        script: PASS_THROUGH_WORKER,
        compatibilityDate: COMPATIBILITY_DATE,
        bindings: { ORIGIN: originUrl },
        cf: false,
        log: new Log(LogLevel.WARN),
        // Its own socket, as the local server uses (not Miniflare's entry worker).
        unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      });
      cleanups.push(() => mf.dispose());
      await mf.ready;
      // Behind the same front as the local server (where Cloudflare's edge would be for both), so
      // the captun column's difference is the tunnel's own cost.
      const front = await startLocalFront("127.0.0.1", 0, Number((await mf.unsafeGetDirectURL()).port));
      cleanups.push(() => front.close());
      return `http://127.0.0.1:${front.port}`;
    });

    const server = await newWorkerd(() => startLocalServer({ routing: "folder" }));
    cleanups.push(() => server.value.close());
    const client = await spawnJsonChild(script("bench-client.ts"), [
      tunnelUrlFor(server.value.url, "bench"),
      server.value.secret,
      originUrl,
    ]);
    cleanups.push(client.stop);

    return {
      origin,
      passThrough: { url: passThrough.value, workerdPid: passThrough.pid },
      captun: { server: server.value, client, url: client.line.url as string, workerdPid: server.pid },
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
