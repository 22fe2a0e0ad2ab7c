// `prepack`: refuses to pack a `captun` that would install broken — entries missing, no Worker
// bundle for `captun server`/`captun deploy`, or Cap'n Web without the flow-control fix.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dist = new URL("../dist/", import.meta.url).pathname;
/** The line patches/capnweb@0.12.0.patch adds (docs/upstream/capnweb-flow-control.md). */
const FIX = "if (!(interval > 0)) return this.bytesInFlight < this.window;";

const problems: string[] = [];
for (const file of [
  "index.js",
  "index.d.ts",
  "index.workerd.js",
  "index.workerd.d.ts",
  "internal.js",
  "internal.d.ts",
  "dev-server/index.js",
  "dev-server/index.d.ts",
  "cli/index.js",
]) {
  if (!existsSync(join(dist, file))) problems.push(`dist/${file} is missing`);
}
const chunks = (folder: string) =>
  existsSync(join(dist, folder)) ? readdirSync(join(dist, folder)).map((name) => `${folder}/${name}`) : [];
const bundles = ["index.workerd.js", "worker/captun-worker.js", ...chunks("_chunks"), ...chunks("_workerd")];
const withCapnweb = bundles.filter(
  (file) => existsSync(join(dist, file)) && readFileSync(join(dist, file), "utf8").includes("var FlowController"),
);
if (!withCapnweb.includes("worker/captun-worker.js")) problems.push("dist/worker/captun-worker.js is missing or does not bundle Cap'n Web");
if (!withCapnweb.some((file) => file === "index.workerd.js" || file.startsWith("_workerd/"))) {
  problems.push("the workerd build (dist/index.workerd.js and dist/_workerd/) does not bundle Cap'n Web");
}
if (!withCapnweb.some((file) => file.startsWith("_chunks/"))) problems.push("no Node chunk in dist/_chunks/ bundles Cap'n Web");
for (const file of withCapnweb) {
  if (!readFileSync(join(dist, file), "utf8").includes(FIX)) problems.push(`dist/${file} bundles Cap'n Web without the flow-control fix`);
}
if (problems.length) {
  console.error(
    `captun cannot be packed:\n  ${problems.join("\n  ")}\nRun \`pnpm --filter captun build\` (after \`pnpm install\`, which applies patches/).`,
  );
  process.exit(1);
}
