import { useState } from "preact/hooks";

/** A hydrated island: the button only counts once the island's JavaScript has run in the browser. */
export default function Counter({ label }: { label: string }) {
  const [count, setCount] = useState(0);
  return (
    <p>
      <button id="increment" type="button" onClick={() => setCount(count + 1)}>
        {label}: <span id="count">{count}</span>
      </button>{" "}
      <span id="island-note">island ready</span>
    </p>
  );
}
