import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { WORKER_COMPATIBILITY_DATE } from "../src/local-server.ts";

describe("local server", () => {
  it("runs the Worker with the compatibility date that `captun deploy` ships", async () => {
    const text = await readFile(new URL("../../../wrangler.jsonc", import.meta.url), "utf8");
    expect(/"compatibility_date":\s*"([^"]+)"/.exec(text)?.[1]).toBe(WORKER_COMPATIBILITY_DATE);
  });

  it("starts from any working directory", async () => {
    const entry = new URL("../src/local-server.ts", import.meta.url).pathname;
    const script = `const { startLocalServer } = await import(${JSON.stringify(entry)});
      const server = await startLocalServer(); console.log(server.url); await server.close();`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      cwd: tmpdir(),
      timeout: 30_000,
    });
    expect(stdout).toMatch(/^http:\/\/localhost:\d+\n$/);
  });
});
