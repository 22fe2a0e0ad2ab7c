import captun from "@captun/vite";
import { defineConfig } from "vite";
import { devApi } from "./dev-api.ts";

export default defineConfig({
  plugins: [captun(), devApi()],
});
