import captun from "@captun/vite";
import { solidStart } from "@solidjs/start/config";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [solidStart(), captun()],
  // SolidStart's dev error viewer imports @jridgewell/trace-mapping (CommonJS underneath). Found
  // only when the viewer first loads, it makes Vite re-bundle its dependencies mid-session, and a
  // page loading at that moment fails with "does not provide an export named 'default'".
  optimizeDeps: { include: ["@solidjs/start > @jridgewell/trace-mapping"] },
});
