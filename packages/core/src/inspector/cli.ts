// The inspector and inbox flags of `captun <port|url>`, kept out of tunnel-command.ts so that file
// only wires them in.
import { type Capture, createCapture } from "../capture.ts";
import { CaptunUsageError, parseInteger } from "../cli/args.ts";
import { log, urlLine } from "../cli/log.ts";
import { inboxPatternProblem } from "../inbox-paths.ts";
import type { Fetcher } from "../protocol.ts";
import { type InspectorServer, startInspectorServer } from "./node.ts";

export const INSPECT_OPTIONS = {
  inspect: { type: "boolean" },
  "inspect-port": { type: "string" },
  inbox: { type: "string", multiple: true },
} as const;

export interface CliInspection {
  /** The inbox paths to register at connect. */
  readonly inbox: string[];
  /** `fetcher`, captured for the inspector (unchanged with `--no-inspect`). */
  wrap(fetcher: Fetcher): Fetcher;
  /** Banner lines to print under the public URL. */
  lines(): string[];
  close(): Promise<void>;
}

export async function startCliInspection(values: { inspect?: boolean; "inspect-port"?: string; inbox?: string[] }): Promise<CliInspection> {
  const inbox = (values.inbox ?? []).flatMap((value) => value.split(",").map((p) => p.trim())).filter(Boolean);
  const problem = inboxPatternProblem(inbox);
  if (problem) throw new CaptunUsageError(`${problem} Quote it in the shell: --inbox '/webhooks/**'.`);
  const port = values["inspect-port"] === undefined ? 4141 : parseInteger(values["inspect-port"], "--inspect-port", 1, 65535);
  let capture: Capture | undefined;
  let server: InspectorServer | undefined;
  if (values.inspect !== false) {
    capture = createCapture();
    try {
      server = await startInspectorServer(capture, { port });
    } catch (error) {
      log.warn(
        `The inspector could not listen on 127.0.0.1:${port} or the ports above it (${(error as Error).message}); use --inspect-port.`,
      );
      capture = undefined;
    }
  }
  return {
    inbox,
    wrap: (fetcher) => (capture ? capture.wrap(fetcher) : fetcher),
    lines: () => [
      ...(server ? [urlLine("Inspect", server.url)] : []),
      ...(inbox.length > 0 ? [urlLine("Inbox", `${inbox.join(", ")} (kept while offline)`)] : []),
    ],
    close: async () => {
      await server?.close();
    },
  };
}
