import captun from "@captun/vite";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [captun()],
});
