// The HMR-able component: edit GREETING while the page is open and only this module is swapped.
export const GREETING = "Hello from the captun playground";

export function renderGreeting(target: HTMLElement): void {
  target.textContent = GREETING;
}

if (import.meta.hot) {
  import.meta.hot.accept((next) => {
    const element = document.querySelector<HTMLElement>("#greeting");
    if (next && element) (next as unknown as typeof import("./greeting.ts")).renderGreeting(element);
  });
}
