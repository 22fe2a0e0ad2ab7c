/**
 * What the shard remembers about a tunnel's share links, in Durable Object storage (the KV API,
 * which SQLite-backed and older objects both have): revocations, and the links `captun share`
 * minted (for `--list`; links are checked by signature, never looked up here).
 */
import { bearerSecretMatches } from "captun/internal";

export interface IssuedLink {
  label: string;
  issued: number;
  expires: number;
  paths?: string[];
}

export interface AccessLedger {
  /** Tokens issued at or before this time are revoked (`--revoke-all`). */
  revokedBefore?: number;
  /** Tokens with this label issued at or before the time are revoked (`--revoke <label>`). */
  revokedLabels: Record<string, number>;
  links: IssuedLink[];
}

export interface LedgerStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

const MAX_LINKS = 200;
const MAX_LABEL = 100;

export async function readLedger(storage: LedgerStorage, name: string): Promise<AccessLedger> {
  return (await storage.get<AccessLedger>(`access:${name}`)) ?? { revokedLabels: {}, links: [] };
}

/** Whether a token minted at `issued` with `label` was revoked since. */
export function isRevoked(ledger: AccessLedger, label: string, issued: number): boolean {
  if (ledger.revokedBefore !== undefined && issued <= ledger.revokedBefore) return true;
  const at = ledger.revokedLabels[label];
  return at !== undefined && issued <= at;
}

/**
 * `GET` lists live links; `POST {"record": link}` remembers one, `{"revoke": label}` and
 * `{"revokeAll": true}` revoke. Needs the connect secret, like a connect.
 */
export async function handleLedgerRequest(
  request: Request,
  storage: LedgerStorage,
  name: string,
  secret: string | undefined,
): Promise<Response> {
  if (secret && !(await bearerSecretMatches(request, secret))) {
    return Response.json({ error: "Wrong or missing connect secret." }, { status: 401, headers: { "x-captun-error": "unauthorized" } });
  }
  const now = Date.now();
  const ledger = await readLedger(storage, name);
  const live = (links: IssuedLink[]) => links.filter((link) => link.expires > now && !isRevoked(ledger, link.label, link.issued));
  if (request.method === "GET") return Response.json({ links: live(ledger.links) });
  if (request.method !== "POST") return new Response("GET or POST", { status: 405, headers: { allow: "GET, POST" } });

  let body: { record?: IssuedLink; revoke?: string; revokeAll?: boolean };
  try {
    body = (await request.json()) as typeof body;
  } catch {
    return Response.json({ error: "Send a JSON body." }, { status: 400 });
  }
  let revoked = 0;
  if (body.record && isIssuedLink(body.record)) {
    const { label, issued, expires, paths } = body.record;
    ledger.links = [...live(ledger.links), { label, issued, expires, ...(paths ? { paths } : {}) }].slice(-MAX_LINKS);
  } else if (typeof body.revoke === "string" && body.revoke.length <= MAX_LABEL) {
    revoked = live(ledger.links).filter((link) => link.label === body.revoke).length;
    ledger.revokedLabels[body.revoke] = now;
  } else if (body.revokeAll === true) {
    revoked = live(ledger.links).length;
    ledger.revokedBefore = now;
    ledger.revokedLabels = {};
  } else {
    return Response.json({ error: 'Send {"record": …}, {"revoke": "<label>"} or {"revokeAll": true}.' }, { status: 400 });
  }
  ledger.links = live(ledger.links);
  await storage.put(`access:${name}`, ledger);
  return Response.json({ ok: true, revoked, links: ledger.links });
}

function isIssuedLink(value: IssuedLink): boolean {
  return (
    typeof value.label === "string" &&
    value.label.length <= MAX_LABEL &&
    Number.isFinite(value.issued) &&
    Number.isFinite(value.expires) &&
    (value.paths === undefined ||
      (Array.isArray(value.paths) && value.paths.length <= 20 && value.paths.every((p) => typeof p === "string")))
  );
}
