// The inspector in dev servers: one capture per public URL (a restarted dev server keeps its
// history, as it keeps its tunnel), served at `/__captun/` on the local URL.
import pc from "picocolors";
import { type Capture, createCapture } from "../capture.ts";
import { inboxPatternProblem } from "../inbox-paths.ts";
import { DEV_INSPECTOR_PATH } from "./node.ts";

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

/** The plugin's `inbox` option, or none (with a warning saying what to fix) when a pattern is malformed. */
export function checkedInbox(inbox: readonly string[] | undefined, logger: { warn(message: string): void }): readonly string[] {
  const problem = inboxPatternProblem(inbox ?? []);
  if (!problem) return inbox ?? [];
  logger.warn(`captun: no inbox registered. ${problem} Fix \`inbox\` in captun({ … }).`);
  return [];
}
