// Helpers for the playgrounds' dev-endpoint tests: a stand-in editor that leaves a marker when a
// dev server launches it, and requests with a raw target (no client-side normalisation).
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { type IncomingMessage, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { ERROR_HEADER } from "../src/protocol.ts";

export interface FakeEditor extends AsyncDisposable {
  /** The executable to put into `LAUNCH_EDITOR` (Vite, Astro) or `REACT_EDITOR` (Next). */
  command: string;
  /** One line per launch: the arguments the dev server passed (the file first). */
  launches(): Promise<string[]>;
}

/** An "editor" that only appends its arguments to a marker file. */
export async function fakeEditor(): Promise<FakeEditor> {
  const dir = await mkdtemp(join(tmpdir(), "captun-editor-"));
  const marker = join(dir, "launches.txt");
  const command = join(dir, "editor.sh");
  await writeFile(command, `#!/bin/sh\necho "$*" >> '${marker}'\n`);
  await chmod(command, 0o755);
  return {
    command,
    launches: () =>
      readFile(marker, "utf8").then(
        (text) => text.split("\n").filter(Boolean),
        () => [],
      ),
    [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * GET `target` exactly as written (Node sends the path untouched) to the server of `url`, with its
 * Host and `headers` (an access cookie, to get past a private tunnel's gate).
 */
export function rawGet(
  url: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; error: string | undefined; body: string }> {
  const { port, host } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: target, headers: { ...headers, host }, agent: false }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.once("end", () => {
        const error = res.headers[ERROR_HEADER];
        resolve({ status: res.statusCode ?? 0, error: Array.isArray(error) ? error[0] : error, body: Buffer.concat(chunks).toString() });
      });
    });
    req.once("error", reject);
    req.end();
  });
}

/**
 * The spellings of `endpoint` (e.g. `/__open-in-editor`) a visitor might try, each followed by
 * `query`: letter case, percent-encoding, doubled slashes, dot segments, parameters, a repeated
 * folder prefix. All are paths under the public URL's `prefix` ("" or `/<name>`).
 */
export function endpointSpellings(prefix: string, endpoint: string, query: string): string[] {
  const name = endpoint.slice(1);
  const encoded = [...name].map((c) => (c === "_" ? "%5F" : c)).join("");
  return [
    `${prefix}/${name}${query}`,
    `${prefix}/${name.toUpperCase()}${query}`,
    `${prefix}/${encoded}${query}`,
    `${prefix}/${encoded.toLowerCase().replace("%5f", "%255f")}${query}`,
    `${prefix}//${name}${query}`,
    `${prefix}/x/../${name}${query}`,
    `${prefix}/x/%2e%2e/${name}${query}`,
    `${prefix}/${name}/${query}`,
    `${prefix}/${name};x${query}`,
    `${prefix}${prefix}/${name}${query}`,
  ];
}

/** Every spelling answers 404 `dev-endpoint-blocked` from captun, not from the dev server. */
export async function expectBlocked(publicUrl: string, targets: string[], headers: Record<string, string> = {}): Promise<void> {
  for (const target of targets) {
    const answer = await rawGet(publicUrl, target, headers);
    expect({ target, status: answer.status, error: answer.error }).toEqual({ target, status: 404, error: "dev-endpoint-blocked" });
  }
}
