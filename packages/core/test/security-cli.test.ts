// The connect secret stays out of places a user would leak it: argv (shell history, `ps`) and
// anything the CLI prints.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCommandArgs } from "../src/cli/args.ts";
import { updateConfig } from "../src/config.ts";
import { newConnectSecret } from "../src/secret.ts";
import { startOrigin, startTestServer, type TestServer, uniqueName, visit } from "./_harness.ts";
import { runCli, tempConfigHome } from "./fixtures/cli-process.ts";

describe("giving the CLI its secret", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ routing: "folder" });
  });
  afterAll(() => server[Symbol.asyncDispose]());

  it("--secret-file and CAPTUN_SECRET connect (over a wrong saved secret) and the secret is never printed", async () => {
    await using home = await tempConfigHome();
    await updateConfig(
      { serverUrl: server.url, secret: "stale-saved-secret", routing: "folder" },
      join(home.path, "captun", "config.json"),
    );
    await using origin = await startOrigin((req, res) => res.end(`origin ${req.url}`));
    const secretFile = join(home.path, "secret");
    await writeFile(secretFile, `${server.secret}\n`, { mode: 0o600 });

    for (const [args, env] of [
      [["--secret-file", secretFile], {}],
      [[], { CAPTUN_SECRET: server.secret }],
    ] as const) {
      const name = uniqueName("cli");
      await using cli = runCli([origin.url, "--name", name, ...args], { XDG_CONFIG_HOME: home.path, ...env });
      const [, publicUrl] = await cli.waitFor(/Public:\s+(\S+)/);
      expect(await (await visit(`${publicUrl}/x`)).text()).toBe("origin /x");
      expect(cli.output).not.toContain(server.secret);
    }
  });

  it("refuses --secret together with --secret-file, and an empty secret file", async () => {
    await using home = await tempConfigHome();
    const empty = join(home.path, "empty");
    await writeFile(empty, "\n");
    for (const args of [
      ["3000", "--secret", "a", "--secret-file", empty],
      ["3000", "--secret-file", empty],
      ["3000", "--secret-file", join(home.path, "missing")],
    ]) {
      await using cli = runCli([...args, "--server-url", server.url], { XDG_CONFIG_HOME: home.path });
      expect(await cli.exited).toBe(2);
      expect(cli.output).toMatch(/--secret/);
    }
  });

  it("makes secrets that can be pasted after --secret: never starting with a dash", () => {
    // A base64url secret starts with "-" once in 64, and the argument parser then refuses it as a flag.
    for (let i = 0; i < 256; i++) {
      const secret = newConnectSecret();
      expect(secret).toMatch(/^[0-9a-f]{48}$/);
      expect(parseCommandArgs(["3000", "--secret", secret], { secret: { type: "string" } }).values.secret).toBe(secret);
    }
  });

  it("--help says where --secret ends up and what to use instead", async () => {
    await using cli = runCli(["--help"], {});
    expect(await cli.exited).toBe(0);
    expect(cli.output).toMatch(/--secret-file/);
    expect(cli.output).toMatch(/shell history/);
  });
});
