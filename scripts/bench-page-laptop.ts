// The laptop in the page-load benchmark: real Vite serving the generated app, shared with
// `@captun/vite` or not, in its own process (forked with an IPC channel by bench-page-load.ts), so
// the browser driver and the link's timers never share its event loop. It counts every HTTP request
// that reaches the dev server: what a cache in front of the laptop saves shows up here.
import { join } from "node:path";
import type { ViteDevServer } from "vite";

const playground = new URL("../playgrounds/vite/", import.meta.url);
const fromPlayground = (path: string) => import(new URL(`node_modules/${path}`, playground).href);

export type LaptopMessage =
  | {
      op: "start";
      root: string;
      share?: { serverUrl: string; secret: string; name: string; customHostname: string; access: "public" | "private" };
    }
  | { op: "requests" }
  | { op: "close" };

let vite: ViteDevServer | undefined;
let requests = 0;

async function start(message: Extract<LaptopMessage, { op: "start" }>): Promise<{ url: string; port: number }> {
  const { createServer } = (await fromPlayground("vite/dist/node/index.js")) as typeof import("vite");
  const plugins: import("vite").PluginOption[] = [
    {
      name: "bench-count-requests",
      configureServer(server) {
        server.middlewares.use((_req, _res, next) => {
          requests++;
          next();
        });
      },
    },
  ];
  if (message.share) {
    const captun = ((await fromPlayground("@captun/vite/dist/index.js")) as typeof import("@captun/vite")).default;
    plugins.push(
      captun({
        ...message.share,
        routing: "subdomain",
        qr: false,
        // On by default, as users get it; `BENCH_INSPECT=0` measures what the request recorder costs.
        inspect: process.env.BENCH_INSPECT !== "0",
        // Never the user's config: everything the plugin needs is passed here.
        configPath: join(message.root, "captun-config.json"),
      }),
    );
  }
  vite = await createServer({
    root: message.root,
    configFile: false,
    mode: "development",
    logLevel: process.env.BENCH_VITE_LOG === "1" ? "info" : "silent",
    clearScreen: false,
    server: { host: "127.0.0.1", port: 0 },
    // Named up front, so Vite never discovers a dependency mid-load and reloads the page.
    optimizeDeps: { include: ["react", "react/jsx-dev-runtime", "react-dom/client"] },
    oxc: { jsx: { runtime: "automatic", development: true } },
    plugins,
  });
  await vite.listen();
  const address = vite.httpServer?.address();
  if (!address || typeof address === "string") throw new Error("Vite is not listening on a TCP port");
  return { url: `http://127.0.0.1:${address.port}/`, port: address.port };
}

if (import.meta.main && process.send) {
  process.on("message", async (message: LaptopMessage) => {
    try {
      if (message.op === "start") process.send?.(await start(message));
      else if (message.op === "requests") process.send?.({ requests });
      else {
        await vite?.close();
        process.send?.({ closed: true }, () => process.exit(0));
      }
    } catch (error) {
      process.send?.({ error: (error as Error).stack ?? String(error) });
    }
  });
  process.on("disconnect", () => process.exit(0));
}
