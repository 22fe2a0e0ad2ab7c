// The inspector in dev servers: one capture per public URL (a restarted dev server keeps its
// history, as it keeps its tunnel), served at `/__captun/` on the local URL.
import type { Server } from "node:http";
import { Server as TlsServer } from "node:tls";
import pc from "picocolors";
import { type Capture, createCapture } from "../capture.ts";
import { inboxPatternProblem } from "../inbox-paths.ts";
import { DEV_INSPECTOR_PATH, mountInspectorOnServer } from "./node.ts";

const capturesByUrl = new Map<string, Capture>();

/** The capture for the tunnel at `tunnelUrl` in this process. */
export function devCaptureFor(tunnelUrl: string): Capture {
  let capture = capturesByUrl.get(tunnelUrl);
  if (!capture) {
    capture = createCapture();
    capturesByUrl.set(tunnelUrl, capture);
  }
  return capture;
}

/** `http://localhost:5173/__captun/` for a dev server whose local URL is `localUrl`. */
export function devInspectorUrl(localUrl: string): string {
  return `${new URL(localUrl).origin}${DEV_INSPECTOR_PATH}/`;
}

/** The `➜  Inspect:` line under a dev server's URLs, in Vite's layout. */
export function inspectUrlLine(localUrl: string): string {
  return `  ${pc.green("➜")}  ${pc.bold("Inspect")}: ${pc.cyan(devInspectorUrl(localUrl))}`;
}

// What takes the inspector out of each server again: mounting twice nests (Nuxt hands its one
// listener to the module instance of every restart).
const unmountByServer = new WeakMap<Server, () => void>();

export interface ServeDevInspectorOptions {
  /** The plugin's `inspect` option. @default true */
  inspect?: boolean;
  /**
   * The name the framework prints in its local URL when it listens on loopback (Rsbuild says
   * `localhost` for the 127.0.0.1 it bound): the `Inspect` line uses it too.
   * @default the address the server listens on (`localhost` for a wildcard one)
   */
  hostname?: string;
}

/**
 * Serves the inspector at `/__captun/` on a dev server that hands plugins its HTTP server but no
 * middleware slot (webpack-dev-server, Rspack, Rsbuild, Nuxt): in front of the server's `request`
 * listeners, so before the framework's own routes (the inspector checks Host and peer itself).
 * Once per server; `inspect: false` takes an earlier mount out. Returns the URL for the
 * `Inspect` line, or nothing when switched off or when the server has no loopback address to
 * print (the inspector answers loopback only).
 */
export function serveDevInspector(server: Server, capture: Capture, options: ServeDevInspectorOptions = {}): string | undefined {
  unmountByServer.get(server)?.();
  unmountByServer.delete(server);
  if (options.inspect === false) return undefined;
  unmountByServer.set(server, mountInspectorOnServer(server, capture));
  const local = localUrlOf(server, options.hostname);
  return local && devInspectorUrl(local);
}

/** `http://127.0.0.1:<port>` (or `localhost` for a wildcard address) of a listening server, if on loopback. */
function localUrlOf(server: Server, hostname: string | undefined): string | undefined {
  const address = server.address();
  if (!address || typeof address === "string") return undefined;
  const ip = address.address.replace(/^::ffff:/, "");
  let host: string;
  if (ip === "::" || ip === "0.0.0.0") host = "localhost";
  else if (ip === "::1" || /^127\./.test(ip)) host = hostname ?? (ip.includes(":") ? `[${ip}]` : ip);
  else return undefined;
  return `${server instanceof TlsServer ? "https" : "http"}://${host}:${address.port}`;
}

/** The plugin's `inbox` option, or none (with a warning saying what to fix) when a pattern is malformed. */
export function checkedInbox(inbox: readonly string[] | undefined, logger: { warn(message: string): void }): readonly string[] {
  const problem = inboxPatternProblem(inbox ?? []);
  if (!problem) return inbox ?? [];
  logger.warn(`captun: no inbox registered. ${problem} Fix \`inbox\` in captun({ … }).`);
  return [];
}
