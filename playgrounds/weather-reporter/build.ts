// Writes dist/index.js; the tests bundle on the fly, this is for looking at what ships.
import { mkdir, writeFile } from "node:fs/promises";
import { bundleWorker } from "./bundle.ts";

const dist = new URL("./dist/", import.meta.url);
await mkdir(dist, { recursive: true });
await writeFile(new URL("index.js", dist), await bundleWorker());
