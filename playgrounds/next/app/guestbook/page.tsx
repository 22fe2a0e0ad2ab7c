import { sign } from "./actions.ts";
import { entries } from "./entries.ts";

export const dynamic = "force-dynamic";

export default function Guestbook() {
  return (
    <main>
      <h1>Guestbook</h1>
      <form action={sign}>
        <input id="name" name="name" placeholder="Your name" />
        <button id="sign" type="submit">
          Sign
        </button>
      </form>
      <ul id="entries">
        {entries.map((entry) => (
          <li key={entry.id}>{entry.name}</li>
        ))}
      </ul>
    </main>
  );
}
