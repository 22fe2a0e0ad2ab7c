import captun from "captun/rsbuild";
import { echoMiddleware } from "./dev-api.js";

export default {
  plugins: [captun()],
  source: { entry: { index: "./src/index.js" } },
  html: { title: "captun Rspack playground", tags: [{ tag: "link", attrs: { rel: "icon", href: "data:," } }] },
  server: {
    // Rsbuild checks Host only when this lists hosts (its default `true` lets every Host in):
    // captun then adds exactly the public one.
    allowedHosts: ["localhost"],
    setup: ({ server }) => {
      server.middlewares.use(echoMiddleware);
    },
  },
};
