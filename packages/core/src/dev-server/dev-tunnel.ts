import type { Capture } from "../capture.ts";
import { checkedInbox, devCaptureFor } from "../inspector/dev.ts";
import { createOriginFetcher } from "../origin.ts";
import { disconnectCause, type KeptTunnel, keepTunnelOpen, type TunnelEvent } from "../persistent-tunnel.ts";
import { createOriginWebSocketConnector } from "../websocket-origin-connector.ts";
import type { ChangeGeneration } from "./change-generation.ts";
import { blockDevEndpoints, blockDevEndpointUpgrades } from "./dev-endpoints.ts";
import { createInjectingAgent, createInjectingConnection, type HttpServerSource } from "./inject.ts";
import { withRootPath } from "./root-path.ts";
import type { DevTunnelSettings } from "./settings.ts";

/** Where tunnel news goes: the framework's own logger (Vite's `config.logger`), or the console. */
export interface DevTunnelLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A dev server's tunnel: starts and stops sharing; requests go into the server without a port. */
export interface DevTunnel extends AsyncDisposable {
  readonly settings: DevTunnelSettings;
  /** What came through the tunnel, for the inspector at `/__captun/` (docs/inspector.md). */
  readonly capture: Capture;
  /** True while sharing (connected or reconnecting). */
  readonly sharing: boolean;
  /** Starts sharing. Returns at once: the dev server never waits on the tunnel. */
  start(): void;
  /** Stops sharing; the public URL answers 503 until started again. */
  stop(): Promise<void>;
  toggle(): Promise<void>;
  /**
   * Starts once `server` listens, or right away when this dev server is a restart of one that is
   * still sharing under the same URL (then the tunnel is handed over, never dropped).
   */
  startWhenListening(server: { listening: boolean; once(event: "listening", listener: () => void): unknown }): void;
}

export interface CreateDevTunnelOptions {
  settings: DevTunnelSettings;
  /** The dev server's HTTP server, read per connection (frameworks replace it on restart). */
  httpServer: HttpServerSource;
  /** Added in front of every path the tunnel's client sees (the folder prefix the Worker strips). @default "" */
  pathPrefix?: string;
  /**
   * Where a request for the public URL's root goes on the dev server, for servers that redirect
   * `<pathPrefix>/` to `<pathPrefix>` (Next's `basePath`): see `withRootPath`.
   * @default `${pathPrefix}/`
   */
  rootPath?: string;
  logger: DevTunnelLogger;
  /** Paths the captun server keeps requests for while this dev server is not sharing. @default [] */
  inbox?: readonly string[];
  /** The dev server's change generation (`trackViteChanges`), so the shard can answer its modules while nothing changed. @default none: the shard revalidates */
  changes?: ChangeGeneration;
}

interface Sharing {
  owner: symbol;
  kept: KeptTunnel;
  source: HttpServerSource;
  /** The change generation of the dev server answering now (a restart hands the tunnel to a new one). */
  changes: ChangeGeneration | undefined;
  close(): Promise<void>;
}

// One tunnel per public URL in this process, so a restarted dev server (a new plugin instance,
// created before the old server closes) takes the live tunnel over instead of reconnecting.
const sharingByUrl = new Map<string, Sharing>();

export function createDevTunnel(options: CreateDevTunnelOptions): DevTunnel {
  const { settings, logger } = options;
  const owner = Symbol(settings.name);
  const key = settings.tunnelUrl;
  const capture = devCaptureFor(key);
  const mine = () => {
    const entry = sharingByUrl.get(key);
    return entry?.owner === owner ? entry : undefined;
  };

  const start = () => {
    const existing = sharingByUrl.get(key);
    if (existing) {
      existing.owner = owner;
      existing.source = options.httpServer;
      // The new dev server may answer differently (its config changed): nothing the shard validated is current.
      void existing.changes?.bump();
      existing.changes = options.changes;
      followChanges(existing);
      void existing.changes?.bump();
      return;
    }
    const entry: Sharing = { owner, kept: undefined as never, source: options.httpServer, changes: options.changes, close: async () => {} };
    const agent = createInjectingAgent(() => entry.source());
    // The host part is never resolved: every connection is injected into the dev server.
    const target = `http://dev-server${options.pathPrefix ?? ""}`;
    const { rootPath } = options;
    const fetcher = createOriginFetcher(rootPath === undefined ? target : "http://dev-server", { dispatcher: agent });
    const answer = rootPath === undefined ? fetcher : withRootPath(fetcher, options.pathPrefix ?? "", rootPath);
    const vouched = Object.assign((request: Request) => (entry.changes ? entry.changes.vouch(answer, request) : answer(request)), answer);
    const connectWebSocket = createOriginWebSocketConnector(target, { createConnection: createInjectingConnection(() => entry.source()) });
    entry.kept = keepTunnelOpen({
      url: settings.tunnelUrl,
      secret: settings.secret,
      access: settings.access,
      // Visitors never reach the framework's editor, source-file and restart endpoints (dev-endpoints.ts).
      fetch: capture.wrap(blockDevEndpoints(vouched)),
      inbox: checkedInbox(options.inbox, logger),
      connectWebSocket: blockDevEndpointUpgrades(connectWebSocket),
      onEvent: (event) => {
        if (event.type === "connected" && entry.kept.current) void entry.changes?.announce(entry.kept.current);
        report(event, settings, logger);
      },
    });
    followChanges(entry);
    entry.close = async () => {
      if (sharingByUrl.get(key) === entry) sharingByUrl.delete(key);
      await entry.kept.close();
      await fetcher.close();
    };
    sharingByUrl.set(key, entry);
  };

  const followChanges = (entry: Sharing) => {
    const { changes } = entry;
    changes?.follow(() => (sharingByUrl.get(key) === entry && entry.changes === changes ? entry.kept.current : undefined));
  };

  const stop = async () => {
    await mine()?.close();
  };

  return {
    settings,
    capture,
    get sharing() {
      return mine() !== undefined;
    },
    start,
    stop,
    async toggle() {
      if (mine()) {
        await stop();
        logger.info(`captun: stopped sharing ${settings.tunnelUrl}`);
      } else {
        start();
        logger.info(`captun: sharing on ${settings.tunnelUrl}`);
      }
    },
    startWhenListening(server) {
      if (sharingByUrl.has(key) || server.listening) start();
      else server.once("listening", start);
    },
    [Symbol.asyncDispose]: stop,
  };
}

function report(event: TunnelEvent, settings: DevTunnelSettings, logger: DevTunnelLogger): void {
  const server = settings.serverUrl;
  switch (event.type) {
    case "connected":
      logger.info(`captun: public URL ${event.url} is live`);
      break;
    case "retrying":
      // Said once, at the second failure: a first one while the dev server starts up is often
      // spurious (its startup work blocks the event loop past Node's 250 ms connect-attempt timer,
      // which then reports ETIMEDOUT for a connection that was fine) and the retry succeeds.
      if (event.attempt === 2) {
        logger.warn(
          `captun: cannot open the tunnel yet (${event.error.message}). The local server keeps running; retrying in the background. ` +
            `Is the captun server at ${server} up? Start it with \`npx captun server\` or check \`serverUrl\`.`,
        );
      }
      break;
    case "disconnected":
      logger.warn(`captun: tunnel dropped (${disconnectCause(event)}); reconnecting under the same name`);
      break;
    case "unauthorized":
      logger.error(
        `captun: the captun server at ${server} rejected the connect secret. Set \`secret\` in captun({ … }) or CAPTUN_SECRET, ` +
          "or run `npx captun deploy` again to save the right one. The local server keeps running.",
      );
      break;
    case "incompatible":
      logger.error(`captun: ${event.error.message} The local server keeps running.`);
      break;
    case "replaced":
      logger.warn(`captun: another client took the name "${settings.name}"; stopped sharing. Pick another one with \`name\` or --name.`);
      break;
    case "closed":
      break;
  }
}
