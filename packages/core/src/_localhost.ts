import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * `dns.lookup` that resolves `localhost` and every `*.localhost` name to loopback, as browsers do
 * (RFC 6761). The OS resolver often does not, and the local server routes by subdomain.
 */
export function localhostLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host !== "localhost" && !host.endsWith(".localhost")) {
    dnsLookup(hostname, options, callback as never);
    return;
  }
  const v4 = { address: "127.0.0.1", family: 4 };
  const v6 = { address: "::1", family: 6 };
  const all = options.family === 6 ? [v6] : options.family === 4 ? [v4] : [v4, v6];
  if (options.all) callback(null, all);
  else callback(null, all[0]!.address, all[0]!.family);
}

/**
 * Connect options for hosts that may be loopback names. Node gives each address of a name only
 * 250 ms before trying the next; on a busy machine a loopback connect can miss that and fail with
 * ETIMEDOUT although the server is there. Loopback answers or refuses at once, so waiting longer
 * costs nothing there.
 */
export const localhostConnectOptions = { lookup: localhostLookup as never, autoSelectFamilyAttemptTimeout: 1_000 };
