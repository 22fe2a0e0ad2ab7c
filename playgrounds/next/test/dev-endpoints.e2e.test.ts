// Next's dev server answers `/__nextjs_*` endpoints that open the editor, read source files and
// source maps, attach a debugger or restart it, and `/_next/mcp`: through the tunnel they answer
// 404 and launch nothing; on the local URL they keep working.
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { configHome, type RunningProcess } from "../../../packages/core/test/_apps.ts";
import { endpointSpellings, expectBlocked, type FakeEditor, fakeEditor, rawGet } from "../../../packages/core/test/_dev-endpoints.ts";
import { startTestServer } from "../../../packages/core/test/_harness.ts";
import { copyApp, freePort, runNextDev } from "./_next-harness.ts";

const SLOW = 120_000;
let cleanup: AsyncDisposableStack;
let editor: FakeEditor;
let next: RunningProcess;
let localUrl: string;
let publicUrl: string;

beforeAll(async () => {
  cleanup = new AsyncDisposableStack();
  // Folder routing: Next runs under basePath `/<name>`, where its dev client calls these endpoints.
  const server = cleanup.use(await startTestServer({ routing: "folder" }));
  const home = cleanup.use(await configHome({ serverUrl: server.url, secret: server.secret, routing: "folder" }));
  editor = cleanup.use(await fakeEditor());
  const app = cleanup.use(await copyApp());
  const port = await freePort();
  next = cleanup.use(
    runNextDev(app.root, ["--port", String(port), "--hostname", "127.0.0.1"], {
      XDG_CONFIG_HOME: home.dir,
      REACT_EDITOR: editor.command,
      CAPTUN_ACCESS: "public",
    }),
  );
  await next.waitForOutput(/captun: public URL \S+ is live/, SLOW);
  [, localUrl = ""] = (await next.waitForOutput(/- Local:\s+(\S+)/)) as string[];
  [, publicUrl = ""] = (await next.waitForOutput(/- Public:\s+(\S+)/)) as string[];
}, SLOW);
afterAll(async () => {
  await cleanup?.disposeAsync();
});
afterEach(({ task }) => {
  if (task.result?.state === "fail") console.error(`next dev output:\n${next?.output().slice(-3000)}`);
});

it("says under the public URL what visitors can reach", () => {
  const lines = next.output().split("\n");
  const publicLine = lines.findIndex((line) => line.includes("- Public:"));
  expect(lines[publicLine + 1]).toMatch(/module source and HMR.*editor and file endpoints stay local.*docs\/security\.md/);
});

it(
  "blocks the editor launcher and its kin through the tunnel, and launches the editor locally",
  async () => {
    const prefix = new URL(publicUrl).pathname.replace(/\/$/, "");
    const launch = "?file=page.tsx&isAppRelativePath=1";
    await expectBlocked(publicUrl, endpointSpellings(prefix, "/__nextjs_launch-editor", launch));
    await expectBlocked(publicUrl, [
      `${prefix}/__nextjs_original-stack-frames`,
      `${prefix}/__nextjs_source-map?filename=${encodeURIComponent("file:///etc/passwd")}`,
      `${prefix}/__nextjs_attach-nodejs-inspector`,
      `${prefix}/__nextjs_restart_dev`,
      `${prefix}/__nextjs_devtools_config`,
      `${prefix}/_next/mcp`,
    ]);
    // The app itself is still there.
    expect((await rawGet(publicUrl, prefix)).status).toBe(200);

    const local = await rawGet(localUrl, `${prefix}/__nextjs_launch-editor${launch}`);
    expect(local.status).toBe(204);
    await expect.poll(() => editor.launches(), { timeout: 10_000 }).toHaveLength(1);
    expect((await editor.launches())[0]).toMatch(/app\/page\.tsx/);
  },
  SLOW,
);
