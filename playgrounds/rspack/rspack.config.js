import { HtmlRspackPlugin } from "@rspack/core";
import captun from "captun/rspack";
import { echoMiddleware } from "./dev-api.js";

const PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>captun Rspack playground</title></head><body></body></html>';

export default {
  mode: "development",
  entry: "./src/index.js",
  plugins: [new HtmlRspackPlugin({ templateContent: PAGE, inject: "body" }), captun()],
  devServer: {
    hot: true,
    setupMiddlewares(middlewares) {
      middlewares.unshift({ name: "echo", middleware: echoMiddleware });
      return middlewares;
    },
  },
};
