// Client-side routing under Vite's base (`/` under subdomain routing, `/<name>/` under folder routing).
const base = import.meta.env.BASE_URL.replace(/\/$/, "");

export type Route = "home" | "about";

export function currentRoute(): Route {
  const path = location.pathname.slice(base.length) || "/";
  return path === "/about" ? "about" : "home";
}

export function hrefFor(route: Route): string {
  return `${base}/${route === "about" ? "about" : ""}`;
}

/** Follows same-app links with pushState instead of a page load. */
export function interceptLinks(onNavigate: () => void): void {
  document.addEventListener("click", (event) => {
    const link = (event.target as Element).closest("a[data-route]");
    if (!(link instanceof HTMLAnchorElement)) return;
    event.preventDefault();
    history.pushState(null, "", link.href);
    onNavigate();
  });
  addEventListener("popstate", onNavigate);
}
