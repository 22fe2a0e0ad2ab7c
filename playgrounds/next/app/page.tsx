import Image from "next/image";
import Link from "next/link";
import { Counter } from "./counter.tsx";
import logo from "./logo.png";

export default function Home() {
  return (
    <main>
      <h1 id="title">Hello from the captun Next playground</h1>
      <Image id="logo" src={logo} alt="captun logo" width={64} height={64} priority />
      <Counter />
      <nav>
        <Link id="streamed-link" href="/streamed">
          Streamed page
        </Link>{" "}
        <Link id="guestbook-link" href="/guestbook">
          Guestbook (Server Action)
        </Link>
      </nav>
    </main>
  );
}
