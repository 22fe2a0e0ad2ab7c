// A dev API next to the app: what the server sees of the request, and a POST body reversed. It
// answers below any base path (Rsbuild's `server.base` under folder routing).
export function echoMiddleware(req, res, next) {
  if (!req.url?.split("?")[0].endsWith("/api/echo")) return next();
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const text = Buffer.concat(chunks).toString("utf8");
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ host: req.headers.host, url: req.url, received: text.length, reversed: [...text].reverse().join("") }));
  });
}
