// A captun client in its own process (what `captun <port>` does), so the benchmark can time a cold
// start and read the client's memory apart from the visitor's. Plain JavaScript on purpose: Node's
// TypeScript stripping, loaded for a .ts entry, added ~23 MiB of RSS and its start-up time, which
// the benchmark then counted as the library's.
// argv: <tunnel url> <secret> <origin url>. Prints `{"url": …}` as one JSON line once the tunnel is open.
import { createCaptunTunnel, createOriginFetcher } from "captun";

const [url, secret, origin] = process.argv.slice(2);
const fetcher = createOriginFetcher(origin);
const tunnel = await createCaptunTunnel({ url, secret, fetch: fetcher });
process.stdout.write(`${JSON.stringify({ url: tunnel.url })}\n`);
// The parent ends us by closing stdin, so nothing outlives a crashed benchmark.
process.stdin.resume();
process.stdin.on("end", async () => {
  await tunnel.close();
  await fetcher.close();
  process.exit(0);
});
