import pc from "picocolors";
import { configPath, maskSecret, readConfig, updateConfig } from "../config.ts";
import { startLocalServer } from "../local-server.ts";
import type { RoutingMode } from "../routing.ts";
import { newConnectSecret } from "../secret.ts";
import { CaptunUsageError, parseCommandArgs, parseInteger } from "./args.ts";
import { log, urlLine } from "./log.ts";
import { onShutdownSignal } from "./signals.ts";

const OPTIONS = {
  port: { type: "string" },
  routing: { type: "string" },
} as const;

/** The local server's port when none is given: the one `wrangler dev` uses, so it is easy to remember. */
const DEFAULT_PORT = 8787;

/** `captun server`: the captun Worker in workerd on loopback until SIGINT/SIGTERM. */
export async function serverCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length > 0)
    throw new CaptunUsageError(`captun server takes no arguments besides --port and --routing (got "${positionals[0]}").`);
  const routing = (values.routing ?? "subdomain") as RoutingMode;
  if (routing !== "subdomain" && routing !== "folder") {
    throw new CaptunUsageError(`--routing must be "subdomain" (tunnels at http://<name>.localhost) or "folder" (http://127.0.0.1/<name>).`);
  }
  const port = values.port === undefined ? DEFAULT_PORT : parseInteger(values.port, "--port", 0, 65_535);
  // Reusing the saved secret lets clients that were connected reconnect after a restart.
  const secret = (await readConfig()).local?.secret ?? newConnectSecret();

  let server: Awaited<ReturnType<typeof startLocalServer>>;
  try {
    server = await startLocalServer({ port, routing, secret });
  } catch (error) {
    if (/EADDRINUSE|address already in use/i.test(String((error as Error).message ?? error))) {
      throw new CaptunUsageError(`Port ${port} is already in use. Stop what runs there, or pick another with --port.`);
    }
    throw error;
  }
  await updateConfig({ local: { serverUrl: server.url, secret, customHostname: server.customHostname } });

  const example = server.customHostname ? server.url.replace("://", "://<name>.") : `${server.url}/<name>`;
  log.info(`\n  ${pc.bold("captun server")}  ${pc.dim(`the captun Worker in workerd, ${routing} routing`)}\n`);
  log.info(urlLine("Server", server.url));
  log.info(urlLine("Tunnels", example));
  log.info(pc.dim(`\n  Secret ${maskSecret(secret)} saved to ${configPath()}`));
  log.info(pc.dim(`  In another terminal: npx captun 3000   ·   Ctrl-C to stop\n`));

  await new Promise<void>((resolve) => {
    const removeSignalHandlers = onShutdownSignal(() => {
      removeSignalHandlers();
      resolve();
    });
  });
  await server.close();
  return 0;
}
