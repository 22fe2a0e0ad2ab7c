import { spawn } from "node:child_process";
import { stripVTControlCharacters } from "node:util";
import pc from "picocolors";
import { wranglerScript } from "../../_tools.ts";
import { CaptunError } from "../../errors.ts";
import type { Credentials } from "./cloudflare-api.ts";

/** wrangler exited non-zero; the message ends with the tail of its output. */
export class CaptunWranglerError extends CaptunError {
  override name = "CaptunWranglerError";
}

export interface WranglerRun {
  /** Working directory; wrangler writes its `.wrangler/` state here. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Echo wrangler's output, dimmed, as it runs. @default false */
  echo?: boolean;
}

/** Runs the pinned wrangler (loaded on demand, src/_tools.ts) with an argv array; resolves with its stdout. */
export async function runWrangler(args: string[], run: WranglerRun): Promise<string> {
  const child = spawn(process.execPath, [await wranglerScript("captun deploy"), ...args], {
    cwd: run.cwd,
    env: { ...run.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let all = "";
  const collect = (stream: "out" | "err") => (chunk: Buffer) => {
    const text = stripVTControlCharacters(chunk.toString("utf8"));
    if (stream === "out") stdout += text;
    all += text;
    if (run.echo) process.stdout.write(pc.dim(text.replace(/^(?=.)/gm, "  │ ")));
  };
  child.stdout.on("data", collect("out"));
  child.stderr.on("data", collect("err"));
  return new Promise((resolve, reject) => {
    child.once("error", (error) => reject(new CaptunWranglerError(`could not start wrangler: ${error.message}`)));
    child.once("close", (code) => {
      if (code === 0) return resolve(stdout);
      const lines = all.split("\n").filter((line) => line.trim());
      const firstError = lines.findIndex((line) => line.includes("[ERROR]"));
      const tail = (firstError >= 0 ? lines.slice(firstError, firstError + 12) : lines.slice(-12)).join("\n");
      reject(new CaptunWranglerError(`\`wrangler ${args[0]}\` failed (exit ${code}):\n${tail}`));
    });
  });
}

/**
 * What `wrangler auth token --json` reports: a `wrangler login` OAuth token, or `undefined` when
 * wrangler has no login either.
 */
export async function wranglerCredentials(env: NodeJS.ProcessEnv, cwd: string): Promise<Credentials | undefined> {
  try {
    const output = await runWrangler(["auth", "token", "--json"], { cwd, env });
    const parsed = JSON.parse(output.slice(output.indexOf("{"))) as { type?: string; token?: string; key?: string; email?: string };
    if (parsed.type === "api_key" && parsed.key && parsed.email) return { kind: "key", key: parsed.key, email: parsed.email };
    if (!parsed.token) return undefined;
    return { kind: "token", token: parsed.token, source: parsed.type === "oauth" ? "wrangler-login" : "env" };
  } catch (error) {
    // wrangler says "Not logged in" by exiting non-zero.
    if (error instanceof CaptunWranglerError || error instanceof SyntaxError) return undefined;
    throw error;
  }
}
