import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const execFileAsync = promisify(execFile);
const GUARD = new URL("../src/cli/last-resort.ts", import.meta.url).pathname;

it("an error nothing caught is logged once and the process keeps running", async () => {
  // The same failure twice from a socket-like callback, and a promise nobody awaited.
  const script = `
    import { keepServingThroughUnexpectedErrors } from ${JSON.stringify(GUARD)};
    keepServingThroughUnexpectedErrors();
    const boom = () => { throw new Error("assert(!this.paused)"); };
    setTimeout(boom, 1);
    setTimeout(boom, 2);
    setTimeout(() => void Promise.reject(new TypeError("nobody awaited me")), 3);
    setTimeout(() => console.log("still serving"), 20);
  `;
  const { stdout, stderr } = await execFileAsync(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, NO_COLOR: "1" },
  });
  expect(stdout).toBe("still serving\n");
  expect(stderr.match(/Unexpected error, still serving/g)).toHaveLength(2);
  expect(stderr).toContain("Error: assert(!this.paused)");
  expect(stderr).toContain("TypeError: nobody awaited me");
});
