// Helpers for the playgrounds' `preview.e2e.test.ts` files: build an app once (in a throwaway copy,
// so parallel dev-server suites never see its output), run the framework's preview command, and
// read what it printed. Framework specifics stay in each test file.
import { once } from "node:events";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { configHome, launchChromium, type RunningProcess, runNode, statusWithHost, watchedPage } from "./_apps.ts";
import { startTestServer, visit } from "./_harness.ts";

/** A copy of `entries` of a playground inside it (so its node_modules resolve), `files` written over them. */
export async function copyPlayground(
  playground: string,
  entries: string[],
  files: Record<string, string> = {},
): Promise<{ root: string } & AsyncDisposable> {
  const root = await mkdtemp(join(playground, ".tmp-preview-"));
  for (const entry of entries) await cp(join(playground, entry), join(root, entry), { recursive: true });
  for (const [path, text] of Object.entries(files)) await writeFile(join(root, path), text);
  return { root, [Symbol.asyncDispose]: () => rm(root, { recursive: true, force: true }) };
}

/** `node <args>` to completion (a build); throws with its output when it fails. */
export async function runToEnd(args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const run = runNode(args, cwd, env);
  const [code] = (await once(run.child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`node ${args.join(" ")} exited with ${code}:\n${run.output()}`);
  return run.output();
}

export interface StartedPreview {
  /** The preview's own `➜  Local:` URL. */
  localUrl: string;
  /** What captun printed as `➜  Public:`: the owner's share link (private) or the public URL. */
  printedUrl: string;
  /** The public URL without the share token. */
  appUrl: string;
  /** The share token of the owner's link (the value of the access cookie it sets). */
  token: string | undefined;
}

/** Waits for the preview's Local and Public lines and for the tunnel to be live. */
export async function previewStarted(preview: RunningProcess, timeoutMs = 60_000): Promise<StartedPreview> {
  const [, localUrl = ""] = (await preview.waitForOutput(/➜\s+Local:\s+(\S+)/, timeoutMs)) as string[];
  const [, printedUrl = ""] = (await preview.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
  await preview.waitForOutput(/captun: public URL \S+ is live/);
  const link = new URL(printedUrl);
  const token = link.searchParams.get("captun_share") ?? undefined;
  link.searchParams.delete("captun_share");
  return { localUrl, printedUrl, appUrl: link.href, token };
}

/** The line printed right after the first line containing `marker`. */
export function lineAfter(output: string, marker: string): string | undefined {
  const lines = output.split("\n");
  const index = lines.findIndex((line) => line.includes(marker));
  return index < 0 ? undefined : lines[index + 1];
}

/**
 * A private preview refuses anonymous visitors (401 on every path of `paths`, each response also
 * checked by `refused`), and the preview's own host check lets in the public host and nothing else.
 */
export async function expectPrivateWithExactHost(
  started: StartedPreview,
  paths: string[],
  refused: (response: Awaited<ReturnType<typeof visit>>) => Promise<void> | void,
): Promise<void> {
  for (const path of paths) {
    const response = await visit(started.appUrl + path);
    expect(response.status, path).toBe(401);
    await refused(response);
  }
  const local = started.localUrl.replace(/\/?$/, "/");
  const publicHost = new URL(started.appUrl);
  expect(await statusWithHost(local, "evil.example")).toBe(403);
  expect(await statusWithHost(local, `${publicHost.hostname}.evil.example`)).toBe(403);
  expect(await statusWithHost(local, publicHost.host)).toBe(200);
}

/**
 * `captun vite dev` in a copy of a playground whose Vite config (`plainConfig`) has no captun in it:
 * the owner's link is printed under Local, and the page renders server-side with the public
 * origin and hydrates through it, with no errors.
 */
export async function expectOneWordViteDev(app: { playground: string; entries: string[]; plainConfig: string; greeting: string }) {
  const captunBin = fileURLToPath(new URL("../bin/captun.js", import.meta.url));
  await using copy = await copyPlayground(app.playground, app.entries, { "vite.config.ts": app.plainConfig });
  await using server = await startTestServer();
  await using browser = await launchChromium();
  await using home = await configHome({
    serverUrl: server.url,
    secret: server.secret,
    routing: "subdomain",
    customHostname: server.customHostname,
  });
  await using dev = runNode([captunBin, "vite", "dev", "--port", "0"], copy.root, { XDG_CONFIG_HOME: home.dir }, { timeoutMs: 60_000 });
  const [, printed = ""] = (await dev.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
  await dev.waitForOutput(/captun: public URL \S+ is live/);
  expect(lineAfter(dev.output(), "Local:")).toContain(`Public:  ${printed}`);
  expect(printed).toMatch(new RegExp(`^http://playground-${basename(app.playground)}-[a-z0-9]+\\.localhost:\\d+/\\?captun_share=v1\\.`));

  await using watched = await watchedPage(browser);
  const { page, problems } = watched;
  await page.goto(printed);
  await page.locator("#greeting").getByText(app.greeting).waitFor();
  expect(await page.locator("#origin").textContent()).toBe(new URL(printed).origin);
  await page.waitForSelector("main[data-hydrated=true]", { timeout: 30_000 });
  await page.click("#increment");
  await page.locator("#count").getByText("1").waitFor();
  expect(problems).toEqual([]);
}
