export function Greeting() {
  return <p id="greeting">Hello from the captun SolidStart playground</p>;
}
