export default defineNuxtConfig({
  modules: ["@captun/nuxt"],
  app: { head: { link: [{ rel: "icon", href: "data:," }] } },
  devtools: { enabled: false },
  telemetry: false,
});
