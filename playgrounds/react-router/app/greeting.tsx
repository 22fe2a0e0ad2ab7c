export function Greeting() {
  return <p id="greeting">Hello from the captun React Router playground</p>;
}
