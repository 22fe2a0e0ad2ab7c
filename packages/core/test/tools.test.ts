// The on-demand tools behind `captun server` and `captun deploy` (src/_tools.ts): which copy is
// used, and what a user reads when npm cannot install the pinned version.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pinnedVersion, toolDir } from "../src/_tools.ts";

let scratch: string;

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), "captun-tools-"));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(scratch, { recursive: true, force: true });
});

async function fakePackage(dir: string, name: string, version: string): Promise<void> {
  await mkdir(join(dir, "node_modules", name), { recursive: true });
  await writeFile(join(dir, "node_modules", name, "package.json"), JSON.stringify({ name, version }));
}

describe("on-demand tools", () => {
  it("pins each tool to captun's devDependencies, the versions the tests run", async () => {
    const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
    expect(pinnedVersion("miniflare")).toBe(pkg.devDependencies.miniflare);
    expect(pinnedVersion("wrangler")).toBe(pkg.devDependencies.wrangler);
    // Not dependencies or peers: installing a dev-server plugin must not pull them in, and an
    // exact peer would make `npm i` fail in projects that have another wrangler.
    expect(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })).not.toEqual(expect.arrayContaining(["miniflare"]));
    expect(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })).not.toEqual(expect.arrayContaining(["wrangler"]));
  });

  it("uses the project's own copy when it is exactly the pinned version", async () => {
    await fakePackage(scratch, "miniflare", "9.9.9-own");
    const env = { CAPTUN_TOOLS_DIR: join(scratch, "cache") };
    expect(await toolDir("miniflare", "captun server", { version: "9.9.9-own", cwd: scratch, env })).toBe(
      join(scratch, "node_modules", "miniflare"),
    );
  });

  it("uses the copy installed earlier into captun's cache", async () => {
    const cache = join(scratch, "cache");
    await fakePackage(join(cache, "wrangler@9.9.9-cached"), "wrangler", "9.9.9-cached");
    // A project copy of another version is not used.
    await fakePackage(scratch, "wrangler", "9.9.9-other");
    expect(await toolDir("wrangler", "captun deploy", { version: "9.9.9-cached", cwd: scratch, env: { CAPTUN_TOOLS_DIR: cache } })).toBe(
      join(cache, "wrangler@9.9.9-cached", "node_modules", "wrangler"),
    );
  });

  it("says what to install by hand when npm cannot install the pinned version, and leaves nothing half-installed", async () => {
    const cache = join(scratch, "cache");
    const stderr = vi.spyOn(process.stderr, "write");
    const env = {
      ...process.env,
      CAPTUN_TOOLS_DIR: cache,
      // As if offline: npm may only use its cache, which has no such version.
      npm_config_offline: "true",
      npm_config_cache: join(scratch, "npm-cache"),
    };
    await expect(toolDir("miniflare", "captun server", { version: "9.9.9-missing", cwd: scratch, env })).rejects.toMatchObject({
      name: "CaptunToolError",
      message: expect.stringContaining("Install it by hand in your project (`npm i -D miniflare@9.9.9-missing`)"),
    });
    expect(stderr).toHaveBeenCalledWith(expect.stringContaining("installing miniflare@9.9.9-missing for `captun server` (one time"));
    expect(await readdir(cache)).toEqual([]);
  });
});
