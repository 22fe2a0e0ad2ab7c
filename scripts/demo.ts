// `npm run demo`: the captun Worker locally in workerd, a tiny origin, and a tunnel between them.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createCaptunTunnel, createOriginFetcher, startLocalServer } from "captun";
import pc from "picocolors";

const origin = createServer((req, res) => {
  res.setHeader("content-type", "text/html; charset=utf-8");
  res.end(`<!doctype html><title>captun demo</title><h1>Hello through captun</h1><p>${req.method} ${req.url}</p>
<p>Forwarded for ${req.headers["x-forwarded-for"] ?? "?"} via ${req.headers["x-forwarded-host"] ?? "?"}</p>\n`);
});
await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;

const server = await startLocalServer({ port: Number(process.env.PORT ?? 0) });
const fetcher = createOriginFetcher(originUrl);
const tunnel = await createCaptunTunnel({ url: `${server.url.replace("://", "://demo.")}`, secret: server.secret, fetch: fetcher });

console.log(`
  ${pc.bold("captun demo")}  ${pc.dim("(local captun server in workerd)")}

  ${pc.green("➜")}  ${pc.bold("Local:")}   ${pc.cyan(originUrl)}
  ${pc.green("➜")}  ${pc.bold("Public:")}  ${pc.cyan(tunnel.url)}

  ${pc.dim(`Try: curl ${tunnel.url}/hello   ·   Ctrl-C to stop`)}
`);

let stopping = false;
async function stop() {
  if (stopping) process.exit(1);
  stopping = true;
  await tunnel.close();
  await fetcher.close();
  await server.close();
  origin.close();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
