import { Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The HTTP server in this process listening on `port`, for frameworks that give plugins no handle
 * on their dev server (Next.js). Undefined when this process serves nothing on that port — e.g. a
 * build worker that inherited the dev server's environment.
 */
export function findListeningHttpServer(port: number): Server | undefined {
  // Node's list of what keeps the process alive is the only place a foreign server can be found;
  // it is undocumented, so its absence means "not found", never a crash.
  const handles = (process as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [];
  for (const handle of handles) {
    if (!(handle instanceof Server) || !handle.listening) continue;
    const address = handle.address() as AddressInfo | string | null;
    if (typeof address === "object" && address?.port === port) return handle;
  }
  return undefined;
}
