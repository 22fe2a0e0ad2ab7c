import pc from "picocolors";
import { configPath, readConfig, resolveServerSettings } from "../config.ts";
import { INSPECT_OPTIONS, startCliInspection } from "../inspector/cli.ts";
import { createOriginFetcher } from "../origin.ts";
import { keepTunnelOpen, type TunnelEvent } from "../persistent-tunnel.ts";
import { isLoopbackUrl, qrCode } from "../qr.ts";
import { tunnelUrlFor } from "../routing.ts";
import { CaptunUsageError, parseCommandArgs, parseInteger } from "./args.ts";
import { createDrainingFetcher } from "./draining-fetcher.ts";
import { log, urlLine } from "./log.ts";
import { generateTunnelName, tunnelNameFromFlag } from "./names.ts";
import { onShutdownSignal } from "./signals.ts";
import { parseOriginTarget } from "./target.ts";

const OPTIONS = {
  name: { type: "string" },
  "server-url": { type: "string" },
  secret: { type: "string" },
  qr: { type: "boolean" },
  grace: { type: "string" },
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
  const server = resolveServerSettings(await readConfig(), { serverUrl: values["server-url"], secret: values.secret });
  if (!server) throw new CaptunUsageError(noServerMessage());

  const originFetcher = createOriginFetcher(origin);
  const inspection = await startCliInspection(values);
  const draining = createDrainingFetcher(inspection.wrap(originFetcher));
  let everConnected = false;
  let exitCode = 0;
  const tunnel = keepTunnelOpen({
    url: tunnelUrlFor(server.serverUrl, name, server.customHostname),
    secret: server.secret,
    fetch: draining.fetch,
    inbox: inspection.inbox,
    onEvent: (event) => {
      if (event.type === "connected" && !everConnected) {
        everConnected = true;
        printBanner(origin.href, event.url, values.qr ?? (process.stdout.isTTY === true && !isLoopbackUrl(event.url)), inspection.lines());
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
    await Promise.race([draining.drain(), delay(graceMs)]);
    await tunnel.close();
  });
  try {
    await tunnel.stopped;
  } finally {
    removeSignalHandlers();
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
      log.warn(`Connection to the captun server lost (${event.code}${event.reason ? ` ${event.reason}` : ""}); reconnecting…`);
      return;
    case "retrying":
      log.dim(`  still unreachable (${event.error.message}); next try in ${(event.delayMs / 1000).toFixed(1)} s`);
      return;
    case "replaced":
      log.error("Another client connected under this tunnel name and took it over. Stopping; pick another --name to run both.");
      return 1;
    case "unauthorized":
      log.error(`${event.error.message}\n  Get the right secret with \`captun deploy\` (or \`captun server\` locally), or pass --secret.`);
      return 1;
    case "closed":
      return;
  }
}

function printBanner(origin: string, publicUrl: string, showQr: boolean, extraLines: string[] = []): void {
  log.info(`\n  ${pc.bold("captun")}  ${pc.dim("tunnel open")}\n`);
  log.info(urlLine("Local", origin.replace(/\/$/, "")));
  log.info(urlLine("Public", publicUrl));
  for (const line of extraLines) log.info(line);
  if (showQr) log.info(`\n${qrCode(publicUrl)}`);
  log.info(pc.dim("\n  Ctrl-C to stop\n"));
}

function noServerMessage(): string {
  return [
    `No captun server is configured (nothing in ${configPath()}). Pick one:`,
    "  • deploy your own to Cloudflare, once:   npx captun deploy",
    "  • or run one on this machine:            npx captun server   (then run this command again in another terminal)",
    "  • or name one:                           npx captun 3000 --server-url https://captun.<account>.workers.dev --secret <secret>",
  ].join("\n");
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
