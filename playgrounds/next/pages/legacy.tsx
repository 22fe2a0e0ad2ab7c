// A Pages Router page beside the App Router, as many apps still have.
export default function Legacy() {
  return <h1 id="legacy">Pages Router page</h1>;
}
