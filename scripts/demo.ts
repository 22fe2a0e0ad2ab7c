// `npm run demo`: the captun Worker locally in workerd, and the Vite playground's dev server with
// captun's plugin, which prints its Local and Public URLs. Nothing is written to your captun config:
// the plugin is pointed at the local server through the environment.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { startLocalServer } from "captun";
import pc from "picocolors";

const playground = fileURLToPath(new URL("../playgrounds/vite/", import.meta.url));
const viteBin = fileURLToPath(new URL("../playgrounds/vite/node_modules/vite/bin/vite.js", import.meta.url));

const server = await startLocalServer({ port: Number(process.env.PORT ?? 0) });
console.log(`\n  ${pc.bold("captun demo")}  ${pc.dim(`local captun server in workerd at ${server.url}, the Vite playground below`)}`);

const vite = spawn(process.execPath, [viteBin], {
  cwd: playground,
  stdio: "inherit",
  env: {
    ...process.env,
    CAPTUN_SERVER_URL: server.url,
    CAPTUN_SECRET: server.secret,
    CAPTUN_CUSTOM_HOSTNAME: server.customHostname ?? "",
    CAPTUN_NAME: "demo",
  },
});

// Ctrl-C reaches Vite too (same terminal); SIGTERM only reaches us, so pass it on.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => vite.kill("SIGTERM"));
const [code] = (await once(vite, "exit")) as [number | null];
await server.close();
process.exit(code ?? 0);
