// The one-word start for SolidStart: SolidStart runs on Vite's own CLI (`vite dev`), which rejects unknown flags, so it is
// `captun vite dev`: the project's own Vite with a config that wraps the project's and adds
// captun's plugin. The app's config here has no captun in it.
import { fileURLToPath } from "node:url";
import { it } from "vitest";
import { expectOneWordViteDev } from "../../../packages/core/test/_preview.ts";

const PLAYGROUND = fileURLToPath(new URL("..", import.meta.url));
const PLAIN_CONFIG = 'import { solidStart } from "@solidjs/start/config";\nexport default { plugins: [solidStart()] };\n';

it("`captun vite dev` shares a SolidStart app whose config has no captun: owner's link under Local, SSR and hydration", async () => {
  await expectOneWordViteDev({
    playground: PLAYGROUND,
    entries: ["src", "package.json"],
    plainConfig: PLAIN_CONFIG,
    greeting: "Hello from the captun SolidStart playground",
  });
}, 120_000);
