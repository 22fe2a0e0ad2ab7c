// The dev server's change generation (CONTEXT.md): goes up on every watcher event and every HMR
// message, and reaches the shard before the message reaches a browser, so the shard's edge cache
// can answer the dev server's modules without asking the laptop while nothing changed.
import type { ViteDevServer } from "vite";
import { GENERATION_HEADER } from "../change-generation.ts";
import type { CaptunTunnel } from "../client.ts";
import type { Fetcher } from "../protocol.ts";

/** A dev server's change generation and the tunnel session it is announced to. */
export interface ChangeGeneration {
  readonly value: number;
  /** Counts a change and announces it; resolves once the shard has it (or it cannot hear it). */
  bump(): Promise<void>;
  /** Announces the current value to a newly connected session. */
  announce(tunnel: CaptunTunnel): Promise<void>;
  /** Which session bumps go to: the dev tunnel's live one. */
  follow(current: () => CaptunTunnel | undefined): void;
  /** Answers `request` with `fetcher`, marked for the shard when `vouches(url)` (a module only a watched file changes) and nothing changed meanwhile. */
  vouch(fetcher: Fetcher, request: Request): Promise<Response>;
}

/**
 * One count for the whole process: a restarted dev server's generation starts above its
 * predecessor's, so what the shard validated under the old one is never taken as current.
 */
let lastGeneration = 0;

export function createChangeGeneration(vouches: (url: URL) => boolean): ChangeGeneration {
  let value = ++lastGeneration;
  let current: () => CaptunTunnel | undefined = () => undefined;
  return {
    get value() {
      return value;
    },
    bump() {
      value = ++lastGeneration;
      return current()?.changed(value) ?? Promise.resolve();
    },
    announce: (tunnel) => tunnel.changed(value),
    follow(source) {
      current = source;
    },
    async vouch(fetcher, request) {
      // The generation before the answer: a change while it was made leaves it unvouched-for.
      const before = value;
      const response = await fetcher(request);
      const vouched = value === before && vouches(new URL(request.url));
      // Only this function marks: a mark that came from behind the dev server (a proxied API
      // answering with the header) would make its answer current at the shard for every visitor.
      if (!vouched && !response.headers.has(GENERATION_HEADER)) return response;
      const marked = new Response(response.body, response);
      if (vouched) marked.headers.set(GENERATION_HEADER, String(before));
      else marked.headers.delete(GENERATION_HEADER);
      return marked;
    },
  };
}

type HotChannel = { send: (...args: unknown[]) => void };

/**
 * Tracks a Vite dev server's changes: watcher events (file add/change/unlink), and every message
 * its HMR channel sends (update, full-reload after a dependency re-optimisation, prune, custom),
 * which is held until the shard has the new generation: a browser reacting to it can never be
 * answered the old module from the shard.
 */
export function trackViteChanges(server: ViteDevServer): ChangeGeneration {
  const changes = createChangeGeneration((url) => inModuleGraph(server, url));
  // Vite's own listeners invalidate right behind this one (after its plugins' watchChange hooks),
  // so the invalidation bumps again: nothing answered before it stays current, HMR on or off.
  // Not `invalidateModule`: Vite calls it on every page load with an inline module script.
  server.watcher.on("all", () => void changes.bump());
  // Vite 6+ has a graph per environment (`server.moduleGraph` only mirrors them); Vite 5 has one.
  const graphs = new Set<object>(
    server.environments ? Object.values(server.environments).map((environment) => environment.moduleGraph) : [server.moduleGraph],
  );
  type Invalidate = (...args: never[]) => unknown;
  for (const graph of graphs as Set<Partial<Record<"onFileChange" | "onFileDelete" | "invalidateAll", Invalidate>>>) {
    for (const method of ["onFileChange", "onFileDelete", "invalidateAll"] as const) {
      const invalidate = graph[method]?.bind(graph);
      if (!invalidate) continue;
      graph[method] = (...args: never[]) => {
        const result = invalidate(...args);
        void changes.bump();
        return result;
      };
    }
  }
  const channels = new Set<HotChannel | undefined>([
    server.ws as unknown as HotChannel,
    server.environments?.client?.hot as unknown as HotChannel,
  ]);
  let queue = Promise.resolve();
  for (const channel of channels) {
    if (!channel || typeof channel.send !== "function") continue;
    const send = channel.send.bind(channel);
    channel.send = (...args: unknown[]) => {
      const announced = changes.bump();
      // In order, each once the shard has its generation.
      queue = queue
        .then(() => announced)
        .then(() => send(...args))
        .catch((error: unknown) => server.config.logger.error(`captun: an HMR message failed to send: ${String(error)}`));
    };
  }
  return changes;
}

/** Whether Vite serves `url` from its module graph (a transformed module), as opposed to a page, a proxy or a plugin's middleware. */
function inModuleGraph(server: ViteDevServer, url: URL): boolean {
  const graph = server.environments?.client?.moduleGraph ?? server.moduleGraph;
  const base = server.config.base;
  let path = url.pathname;
  if (base.startsWith("/") && base !== "/" && path.startsWith(base)) path = path.slice(base.length - 1);
  const query = new URLSearchParams(url.search);
  query.delete("t");
  query.delete("import");
  const rest = url.search && query.size > 0 ? url.search.replace(/([?&])(t=[^&]*|import)(?=&|$)&?/g, "$1").replace(/[?&]$/, "") : "";
  return graph.urlToModuleMap.has(path + rest);
}
