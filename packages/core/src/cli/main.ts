import { readFileSync } from "node:fs";
import { CaptunUsageError } from "./args.ts";
import { HELP } from "./help.ts";
import { log } from "./log.ts";
import { tunnelCommand } from "./tunnel-command.ts";

/** Runs the `captun` command line; resolves with the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "help":
      case "--help":
      case "-h":
        log.info(HELP);
        return command === undefined ? 1 : 0;
      case "--version":
      case "-v":
        log.info(version());
        return 0;
      // Loaded on demand: miniflare and wrangler are heavy, and a tunnel needs neither.
      case "server": {
        const { serverCommand } = await import("./server-command.ts");
        return await serverCommand(rest);
      }
      case "share": {
        const { shareCommand } = await import("./share-command.ts");
        return await shareCommand(rest);
      }
      case "vite":
      case "react-router": {
        const { VITE_CLIS, viteCommand } = await import("./vite.ts");
        return await viteCommand(rest, process.cwd(), VITE_CLIS[command]);
      }
      case "deploy": {
        const { deployCommand } = await import("./deploy/deploy-command.ts");
        return await deployCommand(rest);
      }
      case "undeploy": {
        const { undeployCommand } = await import("./deploy/undeploy.ts");
        return await undeployCommand(rest);
      }
      default:
        return await tunnelCommand(argv);
    }
  } catch (error) {
    if (error instanceof Error && (error.name.startsWith("Captun") || error.name === "Error")) {
      log.error(error.message);
      return error instanceof CaptunUsageError ? 2 : 1;
    }
    throw error;
  }
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
