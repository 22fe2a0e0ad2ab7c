import type { Plugin } from "vite";

/** A dev middleware streaming server-sent events at `<base>api/time`: one tick, then one a second. */
export function devApi(): Plugin {
  return {
    name: "playground-dev-api",
    configureServer(server) {
      server.middlewares.use(`${server.config.base}api/time`, (req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
        const tick = () => res.write(`data: ${new Date().toISOString()}\n\n`);
        tick();
        const timer = setInterval(tick, 1000);
        req.on("close", () => clearInterval(timer));
      });
    },
  };
}
