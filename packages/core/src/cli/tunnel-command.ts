import pc from "picocolors";
import { configPath, readConfig, resolveServerSettings } from "../config.ts";
import { accessNote, devShareUrl } from "../dev-server/access.ts";
import { INSPECT_OPTIONS, startCliInspection } from "../inspector/cli.ts";
import { createOriginFetcher } from "../origin.ts";
import { disconnectCause, keepTunnelOpen, type TunnelEvent } from "../persistent-tunnel.ts";
import { isLoopbackUrl, qrCode } from "../qr.ts";
import { tunnelUrlFor } from "../routing.ts";
import { ACCESS_OPTIONS, accessPolicyFromFlags } from "./access-flags.ts";
import { CaptunUsageError, parseCommandArgs, parseInteger, secretFromFlags } from "./args.ts";
import { createDrainingFetcher } from "./draining-fetcher.ts";
import { keepServingThroughUnexpectedErrors } from "./last-resort.ts";
import { log, urlLine } from "./log.ts";
import { generateTunnelName, tunnelNameFromFlag } from "./names.ts";
import { onShutdownSignal } from "./signals.ts";
import { parseOriginTarget } from "./target.ts";

const OPTIONS = {
  name: { type: "string" },
  "server-url": { type: "string" },
  secret: { type: "string" },
  "secret-file": { type: "string" },
  qr: { type: "boolean" },
  grace: { type: "string" },
  ...ACCESS_OPTIONS,
  ...INSPECT_OPTIONS,
} as const;

/** `captun <port|url>`: tunnels an origin until SIGINT/SIGTERM. Resolves with the exit code. */
export async function tunnelCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length !== 1) {
    throw new CaptunUsageError("Give captun one port or URL to tunnel, e.g. `captun 3000` or `captun http://localhost:5173`.");
  }
  const origin = parseOriginTarget(positionals[0]!);
  const name = values.name ? tunnelNameFromFlag(values.name) : generateTunnelName();
  const graceMs = values.grace === undefined ? 10_000 : parseInteger(values.grace, "--grace", 0, 3600) * 1000;
  const server = resolveServerSettings(await readConfig(), { serverUrl: values["server-url"], secret: secretFromFlags(values) });
  if (!server) throw new CaptunUsageError(noServerMessage());
  const access = accessPolicyFromFlags(values);
  const tunnelUrl = tunnelUrlFor(server.serverUrl, name, server.customHostname);
  const shareUrl = access.mode === "public" ? undefined : await devShareUrl(tunnelUrl, name, server.secret, access);

  const removeLastResort = keepServingThroughUnexpectedErrors();
  const originFetcher = createOriginFetcher(origin);
  const inspection = await startCliInspection(values);
  const draining = createDrainingFetcher(inspection.wrap(originFetcher));
  let everConnected = false;
  let exitCode = 0;
  const tunnel = keepTunnelOpen({
    url: tunnelUrl,
    secret: server.secret,
    access,
    fetch: draining.fetch,
    inbox: inspection.inbox,
    onEvent: (event) => {
      if (event.type === "connected" && !everConnected) {
        everConnected = true;
        const url = shareUrl ?? event.url;
        printBanner(
          origin.href,
          url,
          values.qr ?? (process.stdout.isTTY === true && !isLoopbackUrl(url)),
          shareUrl && accessNote(access, name),
          inspection.lines(),
        );
      } else if (event.type === "retrying" && !everConnected) {
        // The first connect failing means a wrong URL or a server that is not running: say so now.
        log.error(`${event.error.message}\n  Check --server-url, or start a local server with \`captun server\`.`);
        exitCode = 1;
        void tunnel.close();
      } else {
        exitCode = reportEvent(event) ?? exitCode;
      }
    },
  });

  const removeSignalHandlers = onShutdownSignal(async () => {
    if (draining.inFlight > 0) {
      log.info(
        pc.dim(
          `Stopping: waiting up to ${graceMs / 1000} s for ${draining.inFlight} request(s) in flight. Press Ctrl-C again to quit now.`,
        ),
      );
    }
    // The server holds new requests for a successor (a restart) while these finish.
    await tunnel.current?.leave();
    await Promise.race([draining.drain(), delay(graceMs)]);
    draining.abortInFlight(`captun <port> stopped before this response ended (--grace ${graceMs / 1000} s ran out)`);
    draining.closeWebSockets();
    // Let the tunnel send those close frames before its own socket closes.
    await new Promise((resolve) => setImmediate(resolve));
    await tunnel.close();
  });
  try {
    await tunnel.stopped;
  } finally {
    removeSignalHandlers();
    removeLastResort();
    await inspection.close();
    await originFetcher.close();
  }
  return exitCode;
}

/** Logs what happened to the tunnel after it first connected; returns an exit code when it stops for good. */
function reportEvent(event: TunnelEvent): number | undefined {
  switch (event.type) {
    case "connected":
      log.success(`Reconnected: ${event.url}`);
      return;
    case "disconnected":
      log.warn(`Connection to the captun server lost (${disconnectCause(event)}); reconnecting…`);
      return;
    case "retrying":
      log.dim(`  still unreachable (${event.error.message}); next try in ${(event.delayMs / 1000).toFixed(1)} s`);
      return;
    case "replaced":
      log.error("Another client connected under this tunnel name and took it over. Stopping; pick another --name to run both.");
      return 1;
    case "unauthorized":
      log.error(
        `${event.error.message}\n  Get the right secret with \`captun deploy\` (or \`captun server\` locally), or pass --secret-file / CAPTUN_SECRET.`,
      );
      return 1;
    case "incompatible":
      log.error(event.error.message);
      return 1;
    case "closed":
      return;
  }
}

function printBanner(origin: string, publicUrl: string, showQr: boolean, accessLine?: string, extraLines: string[] = []): void {
  log.info(`\n  ${pc.bold("captun")}  ${pc.dim("tunnel open")}\n`);
  log.info(urlLine("Local", origin.replace(/\/$/, "")));
  log.info(urlLine("Public", publicUrl));
  if (accessLine) log.dim(`            ${accessLine}`);
  for (const line of extraLines) log.info(line);
  if (showQr) log.info(`\n${qrCode(publicUrl)}`);
  log.info(pc.dim("\n  Ctrl-C to stop\n"));
}

function noServerMessage(): string {
  return [
    `No captun server is configured (nothing in ${configPath()}). Pick one:`,
    "  • deploy your own to Cloudflare, once:   npx captun deploy",
    "  • or run one on this machine:            npx captun server   (then run this command again in another terminal)",
    "  • or name one:                           CAPTUN_SECRET=<secret> npx captun 3000 --server-url https://captun.<account>.workers.dev",
  ].join("\n");
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
