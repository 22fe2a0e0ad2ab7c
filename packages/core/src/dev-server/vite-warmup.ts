// Warm-up of a shared Vite dev server's entry. Types only from `vite` (an optional peer).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ViteDevServer } from "vite";

interface Listenable {
  listening: boolean;
  once(event: "listening", listener: () => void): unknown;
}

/**
 * Once `httpServer` listens, transforms the app's `index.html` the way a first page load would,
 * which pre-transforms its scripts and (Vite's `server.preTransformRequests`, on by default) their
 * static imports, and lets the dependency optimizer find what to bundle. The first remote visitor
 * then gets modules from Vite's cache instead of waiting for transforms across the tunnel. It is
 * what Vite's own `server.warmup` does for the HTML files it is given. Apps without a root
 * `index.html` (SvelteKit, Nuxt, Storybook) are left alone.
 */
export function warmViteEntry(server: ViteDevServer, httpServer: Listenable): void {
  const warm = async () => {
    const file = join(server.config.root, "index.html");
    let html: string;
    try {
      html = await readFile(file, "utf8");
    } catch {
      return; // No root index.html: the framework renders its own pages.
    }
    try {
      await server.transformIndexHtml("/index.html", html);
    } catch {
      // The first visitor's request meets the same error, and Vite reports it then, with context.
    }
  };
  if (httpServer.listening) void warm();
  else httpServer.once("listening", () => void warm());
}
