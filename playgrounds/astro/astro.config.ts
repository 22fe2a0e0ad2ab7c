import preact from "@astrojs/preact";
import captun from "@captun/astro";
import { defineConfig } from "astro/config";

export default defineConfig({
  integrations: [preact(), captun()],
});
