import captun from "captun/webpack";
import HtmlWebpackPlugin from "html-webpack-plugin";

const PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>captun webpack playground</title></head><body></body></html>';

/** @type {import("webpack").Configuration} */
export default {
  mode: "development",
  entry: "./src/index.js",
  plugins: [new HtmlWebpackPlugin({ title: "captun webpack playground", templateContent: PAGE }), captun()],
  devServer: {
    hot: true,
    // A dev API next to the app: what the server sees of the request, and a POST body reversed.
    setupMiddlewares(middlewares) {
      middlewares.unshift({
        name: "echo",
        path: "/api/echo",
        middleware: async (req, res) => {
          const chunks = [];
          for await (const chunk of req) chunks.push(chunk);
          const text = Buffer.concat(chunks).toString("utf8");
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ host: req.headers.host, received: text.length, reversed: [...text].reverse().join("") }));
        },
      });
      return middlewares;
    },
  },
};
