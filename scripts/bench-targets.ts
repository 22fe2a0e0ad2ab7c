// What `pnpm bench` compares: the origin, a plain pass-through Worker (the floor for anything
// served by a Worker), and captun (the local server with a client in its own process).
import { fileURLToPath } from "node:url";
import { tunnelUrlFor } from "captun";
import { type JsonChild, spawnJsonChild } from "./bench-measure.ts";

export const script = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));
/** The `captun` command as installed (needs `pnpm build`). */
export const CLI = fileURLToPath(new URL("../packages/core/bin/captun.js", import.meta.url));

/** A server the benchmark's visitors reach: what `captun server` prints (URL, secret), and its processes. */
export interface BenchServer {
  url: string;
  secret: string;
  customHostname?: string;
  /** The server's own process (its front), and its workerd. */
  pid: number;
  workerdPid: number | undefined;
}

export interface Targets extends AsyncDisposable {
  origin: JsonChild;
  passThrough: { url: string; pid: number; workerdPid: number | undefined };
  captun: { server: BenchServer; client: JsonChild; url: string; workerdPid: number | undefined };
}

/** `captun`: the local server with `argument` routing (default folder); `worker`: the pass-through Worker for the origin at `argument`. */
export async function startServer(kind: "captun" | "worker", argument = ""): Promise<{ child: JsonChild; server: BenchServer }> {
  const child = await spawnJsonChild(script("bench-server.ts"), [kind, argument], 60_000);
  const line = child.line as unknown as { url: string; secret?: string; customHostname?: string; workerdPid?: number };
  const server = {
    url: line.url,
    secret: line.secret ?? "",
    customHostname: line.customHostname,
    pid: child.child.pid!,
    workerdPid: line.workerdPid,
  };
  return { child, server };
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
    const passThrough = await startServer("worker", originUrl);
    cleanups.push(passThrough.child.stop);
    const captun = await startServer("captun");
    cleanups.push(captun.child.stop);
    const client = await spawnJsonChild(script("bench-client.mjs"), [
      tunnelUrlFor(captun.server.url, "bench"),
      captun.server.secret,
      originUrl,
    ]);
    cleanups.push(client.stop);

    return {
      origin,
      passThrough: { url: passThrough.server.url, pid: passThrough.server.pid, workerdPid: passThrough.server.workerdPid },
      captun: { server: captun.server, client, url: client.line.url as string, workerdPid: captun.server.workerdPid },
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
