#!/usr/bin/env node
import { runCli } from "./main.ts";

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// Exit even if a library left a handle open; the timer is unref'd so a clean exit is not delayed.
setTimeout(() => process.exit(code), 2_000).unref();
