// Opening the tunnel from inside `next dev`. Next has no plugin hook into its dev server and reads
// next.config several times, in the process that serves requests and in build workers that inherit
// its environment. Next ≥ 15 creates its `http.Server`, listens, sets `PORT`, and only then loads
// the config in the serving process: so the process that has a server listening on `PORT` is the
// one to share, found in-process, and a process-global flag keeps it to one tunnel.
import type { Server } from "node:http";
import {
  accessNote,
  createDevTunnel,
  type DevTunnel,
  type DevTunnelLogger,
  type DevTunnelProblem,
  type DevTunnelSettings,
  devInspectorUrl,
  exposureLine,
  findListeningHttpServer,
  mountInspectorOnServer,
  qrCodeLines,
} from "captun/dev-server";
import pc from "picocolors";
import type { CaptunNextOptions } from "./options.ts";

interface ProcessState {
  tunnel?: DevTunnel;
  /** Settled once per process: a first run generates and saves the project's name, and Next's config loads must not race to save two. */
  settings?: Promise<DevTunnelSettings | DevTunnelProblem>;
  warned?: boolean;
}

// On globalThis, not in module scope: the config (and with it this package) may be evaluated more
// than once in one process.
const STATE = Symbol.for("captun.next.process-state");

export function processState(): ProcessState {
  const holder = globalThis as { [STATE]?: ProcessState };
  holder[STATE] ??= {};
  return holder[STATE];
}

/** Next's own look: `⚠` for warnings, `⨯` for errors, like the lines around ours. */
export const nextLogger: DevTunnelLogger = {
  info: (message) => console.log(`  ${message}`),
  warn: (message) => console.warn(`${pc.yellow(pc.bold("⚠"))} ${message}`),
  error: (message) => console.error(`${pc.red(pc.bold("⨯"))} ${message}`),
};

/**
 * Opens this dev server's tunnel if this process serves it and none is open yet. Returns whether
 * this process shares (now or already).
 */
export function shareServingProcess(settings: DevTunnelSettings, options: CaptunNextOptions): boolean {
  const state = processState();
  if (state.tunnel) return true;
  const server = servingServer();
  if (!server) {
    // An HTTPS dev server is found by nothing above (its connections speak TLS): say so once.
    if (process.env.__NEXT_EXPERIMENTAL_HTTPS && !state.warned) {
      state.warned = true;
      nextLogger.warn("captun: `next dev --experimental-https` cannot be shared. Drop the flag: the public URL is HTTPS already.");
    }
    return false;
  }
  const tunnel = createDevTunnel({
    settings,
    httpServer: () => (server.listening ? server : undefined),
    pathPrefix: settings.pathPrefix,
    // Next serves its basePath root at `/<name>` and redirects `/<name>/` there.
    rootPath: settings.pathPrefix || undefined,
    logger: nextLogger,
    inbox: options.inbox,
  });
  state.tunnel = tunnel;
  if (options.inspect !== false) mountInspectorOnServer(server, tunnel.capture);
  tunnel.start();
  server.once("close", () => void tunnel.stop());
  printPublicUrl(settings, options.qr ?? process.stdout.isTTY === true);
  if (options.inspect !== false) console.log(`- Inspect:       ${pc.cyan(devInspectorUrl(`http://localhost:${process.env.PORT}`))}`);
  return true;
}

/** Next's dev server, when this process is the one serving it. */
export function servingServer(): Server | undefined {
  const port = Number(process.env.PORT);
  return Number.isInteger(port) && port > 0 ? findListeningHttpServer(port) : undefined;
}

/** Says once, from the serving process only, why this dev server is not shared. */
export function warnNotShared(problem: string): void {
  const state = processState();
  if (state.warned || !servingServer()) return;
  state.warned = true;
  console.log(`- Public:        ${pc.dim("not shared (see the captun warning)")}`);
  nextLogger.warn(`captun: ${problem}`);
}

/** The public URL in the layout of Next's `- Local:` / `- Network:` lines. */
function printPublicUrl(settings: DevTunnelSettings, qr: boolean): void {
  // Next serves its basePath root without a trailing slash: a public URL is printed as such.
  const url = settings.access.mode === "public" ? settings.tunnelUrl : settings.shareUrl;
  console.log(`- Public:        ${pc.cyan(url)}  ${pc.dim(accessNote(settings.access))}`);
  console.log(exposureLine(" ".repeat(17)));
  if (qr) for (const line of qrCodeLines(url)) console.log(line);
}
