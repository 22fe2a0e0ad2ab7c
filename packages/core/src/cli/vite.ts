// `captun vite [vite args…]`: the one-word `vite --tunnel`. Vite's CLI rejects unknown flags before
// it reads any config, so captun runs the project's own Vite with a config that wraps the user's
// (found exactly as Vite would find it) and adds captun's plugin unless it is already there.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CaptunUsageError, readSecretFile } from "./args.ts";
import { tunnelNameFromFlag } from "./names.ts";

/** Vite flags that take a value (from Vite's own CLI), so a positional root is told apart from a value. */
const VALUE_FLAGS = new Set(
  "--config -c --base --logLevel -l --filter -f --mode -m --configLoader --host --port --open --outDir --assetsDir --assetsInlineLimit --sourcemap --minify --manifest --ssrManifest --target --ssr --app --emptyOutDir".split(
    " ",
  ),
);
const SUBCOMMANDS = new Set(["dev", "serve", "build", "preview", "optimize"]);
/** captun's own flags, taken out before Vite sees the rest; passed on as the environment the plugin reads. */
const CAPTUN_FLAGS: Record<string, string> = {
  "--name": "CAPTUN_NAME",
  "--server-url": "CAPTUN_SERVER_URL",
  "--secret": "CAPTUN_SECRET",
  "--access": "CAPTUN_ACCESS",
  "--passcode": "CAPTUN_PASSCODE",
  "--secret-file": "CAPTUN_SECRET",
};

export interface ViteInvocation {
  /** Arguments for Vite, without captun's flags, `--config` and `--configLoader`. */
  viteArgs: string[];
  /** Environment for the Vite process from captun's flags. */
  env: Record<string, string>;
  /** The user's `--config`, if given. */
  configFile: string | undefined;
  /** The user's `--configLoader`, if given. */
  configLoader: string | undefined;
  /** Where Vite looks for the config: the positional root, else the working directory. */
  root: string;
}

/** Splits `captun vite …` arguments into captun's and Vite's. */
export function parseViteArgs(argv: string[], cwd = process.cwd()): ViteInvocation {
  const viteArgs: string[] = [];
  const env: Record<string, string> = {};
  let configFile: string | undefined;
  let configLoader: string | undefined;
  let root: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag = "", inline] =
      arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg];
    const takesValue = VALUE_FLAGS.has(flag) || flag in CAPTUN_FLAGS;
    let value = inline;
    if (takesValue && value === undefined && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("-")) value = argv[++i];
    if (flag in CAPTUN_FLAGS) {
      if (value === undefined) throw new CaptunUsageError(`${flag} needs a value, e.g. \`captun vite ${flag} my-app\`.`);
      env[CAPTUN_FLAGS[flag]!] = flag === "--name" ? tunnelNameFromFlag(value) : flag === "--secret-file" ? readSecretFile(value) : value;
    } else if (flag === "--config" || flag === "-c") {
      configFile = value;
    } else if (flag === "--configLoader") {
      configLoader = value;
    } else {
      viteArgs.push(flag, ...(value === undefined ? [] : [value]));
      if (!flag.startsWith("-") && !(viteArgs.length === 1 && SUBCOMMANDS.has(flag)) && root === undefined) root = flag;
    }
  }
  return { viteArgs, env, configFile: configFile && resolve(cwd, configFile), configLoader, root: resolve(cwd, root ?? ".") };
}

/** Runs the project's Vite with captun's plugin; resolves with Vite's exit code. */
export async function viteCommand(argv: string[], cwd = process.cwd()): Promise<number> {
  const invocation = parseViteArgs(argv, cwd);
  const vite = findProjectVite(invocation.root) ?? findProjectVite(cwd);
  if (!vite)
    throw new CaptunUsageError(
      `No Vite found from ${invocation.root}. Install it in the project (\`npm i -D vite\`), then run \`captun vite\` again.`,
    );
  const wrapper = await writeWrapperConfig(vite.dir, invocation);
  const child = spawn(process.execPath, [vite.bin, ...invocation.viteArgs, "--config", wrapper, "--configLoader", "native"], {
    cwd,
    stdio: "inherit",
    env: { ...process.env, ...invocation.env },
  });
  // Vite handles Ctrl-C itself (it shares the terminal); forward what only reaches us.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGTERM", forward);
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  process.off("SIGTERM", forward);
  return code ?? (signal ? 1 : 0);
}

function findProjectVite(from: string): { dir: string; bin: string } | undefined {
  try {
    const require = createRequire(join(from, "package.json"));
    const manifest = require.resolve("vite/package.json");
    const pkg = require(manifest) as { bin?: string | Record<string, string> };
    const bin = typeof pkg.bin === "string" ? pkg.bin : pkg.bin?.vite;
    return bin ? { dir: dirname(manifest), bin: join(dirname(manifest), bin) } : undefined;
  } catch {
    return undefined;
  }
}

/** A config module (loaded natively by Node) that loads the user's config the way Vite would and adds captun. */
async function writeWrapperConfig(viteDir: string, invocation: ViteInvocation): Promise<string> {
  const dir = join(invocation.root, "node_modules", ".captun");
  await mkdir(dir, { recursive: true });
  const file = join(dir, "vite.config.mjs");
  const href = (path: string) => JSON.stringify(pathToFileURL(path).href);
  // From dist/ the core is .js; from src/ (this repository's tests) it is .ts.
  const devServer = new URL(`../dev-server/index${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url).href;
  await writeFile(
    file,
    `// Written by \`captun vite\`: your own config plus captun's plugin. Safe to delete.
import { loadConfigFromFile } from ${href(join(viteDir, "dist/node/index.js"))};
import { CAPTUN_PLUGIN_NAME, captunUnplugin } from ${JSON.stringify(devServer)};

async function names(plugins) {
  const list = [];
  for (const plugin of [await plugins].flat(Infinity)) {
    const resolved = await plugin;
    if (Array.isArray(resolved)) list.push(...(await names(resolved)));
    else if (resolved) list.push(resolved.name);
  }
  return list;
}

export default async (env) => {
  const loaded = await loadConfigFromFile(env, ${JSON.stringify(invocation.configFile)}, ${JSON.stringify(invocation.root)}, undefined, undefined, ${JSON.stringify(invocation.configLoader ?? "bundle")});
  const config = loaded?.config ?? {};
  if ((await names(config.plugins ?? [])).includes(CAPTUN_PLUGIN_NAME)) return config;
  return { ...config, plugins: [...(config.plugins ?? []), captunUnplugin.vite()] };
};
`,
  );
  return file;
}
