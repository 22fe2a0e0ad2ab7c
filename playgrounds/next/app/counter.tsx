"use client";

import { useState } from "react";

// Fast Refresh keeps this state when the file is edited; a full reload would reset it.
export function Counter() {
  const [clicks, setClicks] = useState(0);
  return (
    <button id="counter" type="button" onClick={() => setClicks(clicks + 1)}>
      Clicked {clicks} times
    </button>
  );
}
