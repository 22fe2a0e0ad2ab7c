#!/usr/bin/env node
// Entry point for the two Quick start commands. It must run on the machines' stock Node 20 + npm:
// plain JavaScript, no dependencies. It finds or installs Node >= 22.12 and the pinned pnpm into
// the git-ignored `.tools/` folder, installs the workspace, then runs a workspace script with that
// Node first on PATH.
//
//   node scripts/bootstrap.mjs run <script> [args…]
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NODE_PACKAGE = "node@24.9.0";
const MIN_NODE = [22, 12];

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tools = join(root, ".tools");
const pnpmVersion = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager.split("@")[1];

function log(message) {
  process.stderr.write(`[bootstrap] ${message}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", cwd: root, ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function npmInstall(prefix, spec) {
  log(`installing ${spec} into ${prefix} (one time)`);
  const status = run("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--no-save", "--loglevel=error", spec]);
  if (status !== 0) throw new Error(`npm install ${spec} failed with exit code ${status}`);
}

function isRecentEnough(version) {
  const [major, minor] = version.split(".").map(Number);
  return major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
}

function findNode() {
  if (isRecentEnough(process.versions.node)) return process.execPath;
  const bin = join(tools, "node", "node_modules", "node", "bin", "node");
  if (!existsSync(bin)) npmInstall(join(tools, "node"), NODE_PACKAGE);
  return bin;
}

function findPnpm() {
  const dir = join(tools, `pnpm-${pnpmVersion}`);
  const bin = join(dir, "node_modules", "pnpm", "bin", "pnpm.cjs");
  if (!existsSync(bin)) npmInstall(dir, `pnpm@${pnpmVersion}`);
  return bin;
}

const [verb, script, ...args] = process.argv.slice(2);
if (verb !== "run" || !script) {
  log("usage: node scripts/bootstrap.mjs run <script> [args…]");
  process.exit(2);
}

const node = findNode();
const pnpm = findPnpm();

// Workspace scripts call `pnpm` and `node` by name: put both first on PATH.
const bin = join(tools, "bin");
mkdirSync(bin, { recursive: true });
const shim = join(bin, "pnpm");
writeFileSync(shim, `#!/bin/sh\nexec "${node}" "${pnpm}" "$@"\n`);
chmodSync(shim, 0o755);

const env = {
  ...process.env,
  PATH: `${bin}:${dirname(node)}:${process.env.PATH}`,
  // Keep wrangler and Miniflare from phoning home: everything here runs on loopback.
  WRANGLER_SEND_METRICS: "false",
  CAPTUN_BOOTSTRAPPED: "1",
};

const installArgs = ["install", "--prefer-offline"];
if (process.env.CI) installArgs.push("--frozen-lockfile");
let status = run(node, [pnpm, ...installArgs], { env });
if (status !== 0) process.exit(status);

status = run(node, [pnpm, "run", script, ...args], { env });
process.exit(status);
