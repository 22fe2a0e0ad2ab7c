// `captun share`: mints share links for a private tunnel (offline, signed with a key derived from
// the connect secret), lists the live ones, revokes them. The shard keeps the list and the
// revocations (docs/access.md); the link itself needs no server to be valid.
import { resolve } from "node:path";
import pc from "picocolors";
import { Agent, fetch } from "undici";
import { localhostConnectOptions } from "../_localhost.ts";
import { configPath, readConfig, resolveServerSettings } from "../config.ts";
import { isLoopbackUrl, qrCode } from "../qr.ts";
import { tunnelUrlFor } from "../routing.ts";
import { ACCESS_ADMIN_PATH, createShareLink } from "../share-link.ts";
import { CaptunUsageError, parseCommandArgs, secretFromFlags } from "./args.ts";
import { log, urlLine } from "./log.ts";
import { tunnelNameFromFlag } from "./names.ts";

const OPTIONS = {
  name: { type: "string" },
  ttl: { type: "string" },
  path: { type: "string", multiple: true },
  label: { type: "string" },
  list: { type: "boolean" },
  revoke: { type: "string" },
  "revoke-all": { type: "boolean" },
  "server-url": { type: "string" },
  secret: { type: "string" },
  "secret-file": { type: "string" },
  qr: { type: "boolean" },
} as const;

const DEFAULT_TTL = "24h";
const MAX_TTL_MS = 365 * 24 * 60 * 60 * 1000;

interface LinkRecord {
  label: string;
  issued: number;
  expires: number;
  paths?: string[];
}

/** `captun share …`; resolves with the exit code. */
export async function shareCommand(argv: string[], cwd = process.cwd()): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length)
    throw new CaptunUsageError(`captun share takes no ${JSON.stringify(positionals[0])}; name the tunnel with --name.`);
  const config = await readConfig();
  const server = resolveServerSettings(config, { serverUrl: values["server-url"], secret: secretFromFlags(values) });
  if (!server)
    throw new CaptunUsageError(
      `No captun server is configured (nothing in ${configPath()}). Run \`captun deploy\` or \`captun server\` first.`,
    );
  const project = config.projects?.[resolve(cwd)];
  const name = values.name ? tunnelNameFromFlag(values.name) : project;
  if (!name) {
    throw new CaptunUsageError(
      "Which tunnel? Pass --name <tunnel>, or run `captun share` in the project folder of a dev server shared with captun.",
    );
  }
  const tunnelUrl = tunnelUrlFor(server.serverUrl, name, server.customHostname);
  const ledger = (body?: unknown) => callLedger(tunnelUrl, server.secret, body);

  if (values.list) {
    const { links } = (await ledger()) as { links: LinkRecord[] };
    if (!links.length) {
      log.info(`No live links recorded for ${name}. The dev server's own link is labelled "owner" and is not listed.`);
      return 0;
    }
    log.info(pc.bold(`Live links for ${name}:`));
    for (const link of links) log.info(`  ${pc.cyan(link.label.padEnd(16))} expires ${when(link.expires)}${scope(link.paths)}`);
    return 0;
  }
  if (values["revoke-all"] || values.revoke !== undefined) {
    const body = values["revoke-all"] ? { revokeAll: true } : { revoke: values.revoke };
    const { revoked } = (await ledger(body)) as { revoked: number };
    const what = values["revoke-all"] ? "every link and cookie issued so far" : `links labelled "${values.revoke}"`;
    log.success(
      `Revoked ${what} for ${name} (${revoked} listed link${revoked === 1 ? "" : "s"} were live). Visitors using them now get a 401.`,
    );
    return 0;
  }

  const ttlMs = parseDuration(values.ttl ?? DEFAULT_TTL);
  let link: Awaited<ReturnType<typeof createShareLink>>;
  try {
    link = await createShareLink({ tunnelUrl, name, secret: server.secret, ttlMs, label: values.label ?? "share", paths: values.path });
  } catch (error) {
    throw new CaptunUsageError(`--path: ${(error as Error).message}`);
  }
  const { claims } = link;
  log.info(urlLine("Link", link.url));
  log.dim(`  label ${claims.label} · expires ${when(claims.expires)}${scope(claims.paths)}`);
  if (values.qr ?? (process.stdout.isTTY === true && !isLoopbackUrl(link.url))) log.info(`\n${qrCode(link.url)}`);
  try {
    await ledger({ record: { label: claims.label, issued: claims.issued, expires: claims.expires, paths: claims.paths } });
  } catch (error) {
    log.warn(`The link works, but the server did not record it for \`captun share --list\`: ${(error as Error).message}`);
  }
  log.dim(`  Revoke it with: captun share --name ${name} --revoke ${claims.label}`);
  return 0;
}

/** `90s`, `30m`, `2h`, `7d` in milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  const units = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  const ms = match ? Number(match[1]) * units[match[2] as keyof typeof units] : Number.NaN;
  if (!(ms > 0 && ms <= MAX_TTL_MS)) throw new CaptunUsageError(`--ttl ${text}: give a duration like 30m, 2h or 7d (at most 365d).`);
  return ms;
}

const agent = new Agent({ connect: localhostConnectOptions });

async function callLedger(tunnelUrl: string, secret: string | undefined, body?: unknown): Promise<unknown> {
  const url = `${tunnelUrl}${ACCESS_ADMIN_PATH}`;
  let response: Awaited<ReturnType<typeof fetch>>;
  try {
    response = await fetch(url, {
      method: body ? "POST" : "GET",
      headers: { "content-type": "application/json", ...(secret ? { authorization: `Bearer ${secret}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      dispatcher: agent,
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new Error(`cannot reach the captun server at ${new URL(url).origin}: ${(error as Error).cause ?? (error as Error).message}`);
  }
  if (response.status === 401)
    throw new Error("the captun server rejected the connect secret (401): pass --secret or run `captun deploy` again.");
  if (!response.ok)
    throw new Error(`the captun server answered ${response.status}; is it older than this captun? Run \`captun deploy\` again.`);
  return response.json();
}

function when(ms: number): string {
  const hours = (ms - Date.now()) / 3_600_000;
  const left =
    hours >= 48 ? `${Math.round(hours / 24)} d` : hours >= 1 ? `${Math.round(hours)} h` : `${Math.max(1, Math.round(hours * 60))} min`;
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC (in ${left})`;
}

function scope(paths: string[] | undefined): string {
  return paths?.length ? ` · only ${paths.join(", ")}` : "";
}
