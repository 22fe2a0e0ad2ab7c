import { Suspense } from "react";

export const dynamic = "force-dynamic";

// Long enough that the shell and the fallback visibly arrive first.
const SLOW_PART_MS = 1500;

async function SlowPart() {
  await new Promise((resolve) => setTimeout(resolve, SLOW_PART_MS));
  return <p id="slow">Slow part arrived</p>;
}

export default function Streamed() {
  return (
    <main>
      <h1 id="shell">Streamed page shell</h1>
      <Suspense fallback={<p id="fallback">Loading the slow part…</p>}>
        <SlowPart />
      </Suspense>
    </main>
  );
}
