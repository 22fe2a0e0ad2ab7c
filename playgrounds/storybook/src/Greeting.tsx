export function Greeting({ name }: { name: string }) {
  return <p id="greeting">Hello from the captun Storybook playground, {name}</p>;
}
