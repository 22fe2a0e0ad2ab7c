// The inspector and the inbox in a real Vite dev server with @captun/vite: `/__captun/` on the
// local URL (404 through the public one), and a webhook sent while Vite was down shown as
// delivered late once it is back.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { configHome, copyApp, runVite } from "../../../playgrounds/vite/test/_vite-harness.ts";
import { rawGet } from "./_dev-endpoints.ts";
import { startTestServer, visit } from "./_harness.ts";

const CONFIG = `
import captun from "@captun/vite";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [
    captun({ inbox: ["/hooks/**"] }),
    {
      name: "hooks",
      configureServer(server) {
        server.middlewares.use(\`\${server.config.base}hooks\`, (req, res) => {
          let body = "";
          req.on("data", (chunk) => (body += chunk));
          req.on("end", () => res.end("hook got " + body));
        });
      },
    },
  ],
});
`;

it("serves the inspector at /__captun/ locally, blocks it publicly, and shows a webhook kept while Vite was down", async () => {
  await using server = await startTestServer({ routing: "folder" });
  await using home = await configHome({ serverUrl: server.url, secret: server.secret, routing: "folder" });
  await using app = await copyApp();
  await writeFile(join(app.root, "vite.config.ts"), CONFIG);
  const env = { XDG_CONFIG_HOME: home.dir, CAPTUN_ACCESS: "public" };

  let localUrl = "";
  let publicUrl = "";
  {
    await using vite = runVite(app.root, ["--port", "0"], env);
    await vite.waitForOutput(/captun: public URL \S+ is live/);
    [, localUrl = ""] = (await vite.waitForOutput(/➜\s+Local:\s+(\S+)/)) as string[];
    [, publicUrl = ""] = (await vite.waitForOutput(/➜\s+Public:\s+(\S+)/)) as string[];
    const [, inspectUrl = ""] = (await vite.waitForOutput(/➜\s+Inspect:\s+(\S+)/)) as string[];
    expect(inspectUrl).toBe(`${new URL(localUrl).origin}/__captun/`);

    expect(await (await visit(`${publicUrl}hooks/live`, { method: "POST", body: "live" })).text()).toBe("hook got live");
    const list = await (await fetch(`${inspectUrl}api/requests`)).json();
    expect(list[0]).toMatchObject({ method: "POST", path: "/hooks/live", status: 200, deliveredLate: null });
    expect(await (await fetch(inspectUrl)).text()).toContain("captun inspector");

    const prefix = new URL(publicUrl).pathname.replace(/\/$/, "");
    for (const target of [`${prefix}/__captun/`, `${prefix}/__captun/api/requests`, "/__captun/api/requests"]) {
      const answer = await rawGet(publicUrl, target);
      expect({ target, status: answer.status }).toEqual({ target, status: 404 });
      expect(answer.body).not.toContain("/hooks/live");
    }
  }

  // Vite is down: the server keeps the webhook.
  const queued = await visit(`${publicUrl}hooks/late`, { method: "POST", body: "late" });
  expect(queued.status).toBe(202);
  expect(queued.headers.get("x-captun-inbox")).toBe("queued");

  await using vite = runVite(app.root, ["--port", "0"], env);
  const [, inspectUrl = ""] = (await vite.waitForOutput(/➜\s+Inspect:\s+(\S+)/)) as string[];
  let late: { id: string; path: string; status: number; deliveredLate: { arrivedAt: string } | null } | undefined;
  await expect
    .poll(
      async () => {
        const list = (await (await fetch(`${inspectUrl}api/requests`)).json()) as NonNullable<typeof late>[];
        late = list.find((row) => row.path === "/hooks/late");
        return late?.status;
      },
      { timeout: 20_000 },
    )
    .toBe(200);
  expect(Date.parse(late!.deliveredLate!.arrivedAt)).toBeLessThan(Date.now());
  const detail = await (await fetch(`${inspectUrl}api/requests/${late!.id}`)).json();
  expect(detail.response.body.text).toBe("hook got late");
});
