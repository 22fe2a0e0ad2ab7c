import styles from "./app.module.css";
import { renderGreeting } from "./greeting.ts";
import logoUrl from "./logo.svg";
import { currentRoute, hrefFor, interceptLinks } from "./routes.ts";

const app = document.querySelector<HTMLDivElement>("#app")!;
// Markers for the end-to-end tests: which routes rendered, and how often the whole page loaded.
(window as { pageLoads?: number }).pageLoads = ((window as { pageLoads?: number }).pageLoads ?? 0) + 1;

function render(): void {
  const route = currentRoute();
  app.innerHTML = `
    <div class="${styles.card}">
      <nav class="${styles.nav}">
        <a data-route href="${hrefFor("home")}">Home</a>
        <a data-route href="${hrefFor("about")}" id="about-link">About</a>
      </nav>
      <img id="logo" src="${logoUrl}" alt="captun" width="64" height="32" />
      <h1 id="greeting"></h1>
      <p id="route">${route === "about" ? "About this playground" : "Home page"}</p>
      <p>Server time: <span id="time">…</span></p>
    </div>`;
  renderGreeting(app.querySelector<HTMLElement>("#greeting")!);
}

render();
interceptLinks(render);

// Server-sent events from the dev middleware in vite.config.ts, through the tunnel.
const events = new EventSource(`${import.meta.env.BASE_URL}api/time`);
events.addEventListener("message", (event) => {
  const time = document.querySelector("#time");
  if (time) time.textContent = event.data;
});
