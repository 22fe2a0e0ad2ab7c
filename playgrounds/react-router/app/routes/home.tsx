import { useEffect, useState } from "react";
import { Link, useLoaderData } from "react-router";
import { Greeting } from "../greeting.tsx";

// Runs on the server for the first render: the URL it sees is the one the visitor used.
export function loader({ request }: { request: Request }) {
  return { origin: new URL(request.url).origin };
}

export default function Home() {
  const { origin } = useLoaderData<typeof loader>();
  const [count, setCount] = useState(0);
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return (
    <main data-hydrated={hydrated} style={{ border: "2px solid rgb(29, 78, 216)" }}>
      <Greeting />
      <p id="origin">{origin}</p>
      <button id="increment" type="button" onClick={() => setCount((n) => n + 1)}>
        +1
      </button>
      <span id="count">{count}</span>
      <Link id="form-link" to="form">
        Form
      </Link>
    </main>
  );
}
