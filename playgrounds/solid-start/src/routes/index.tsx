import { createSignal, onMount } from "solid-js";
import { getRequestEvent, isServer } from "solid-js/web";
import { Greeting } from "../greeting.tsx";

export default function Home() {
  // Rendered on the server first: the URL it sees is the one the visitor used.
  const origin = isServer ? new URL(getRequestEvent()!.request.url).origin : document.querySelector("#origin")?.textContent;
  const [count, setCount] = createSignal(0);
  const [hydrated, setHydrated] = createSignal(false);
  onMount(() => setHydrated(true));
  return (
    <main data-hydrated={hydrated()} style={{ border: "2px solid rgb(29, 78, 216)" }}>
      <Greeting />
      <p id="origin">{origin}</p>
      <button id="increment" type="button" onClick={() => setCount(count() + 1)}>
        +1
      </button>
      <span id="count">{count()}</span>
    </main>
  );
}
