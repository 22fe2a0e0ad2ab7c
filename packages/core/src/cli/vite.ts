// `captun vite [vite args…]`: the one-word `vite --tunnel`. Vite's CLI rejects unknown flags before
// it reads any config, so captun runs the project's own Vite with a config that wraps the user's
// (found exactly as Vite would find it) and adds captun's plugin unless it is already there.
// `captun react-router [args…]` does the same through React Router's CLI, which is Vite underneath,
// takes Vite's config file as `--config` and also rejects unknown flags (docs/frameworks.md).
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
/** A command line that runs Vite underneath and takes the Vite config file as `--config`. */
export interface ViteCli {
  /** The captun subcommand, which is also the CLI's name in messages. */
  name: string;
  /** The npm package that holds the CLI, and its `bin` entry. */
  packageName: string;
  binName: string;
  /** The CLI's subcommands, so `captun <cli> dev` is not taken for a project root called "dev". */
  subcommands: ReadonlySet<string>;
  /** Whether it takes Vite's `--configLoader` (React Router's CLI rejects it, and bundles the config itself). */
  configLoader: boolean;
  /** Where to name the project root for a CLI that would otherwise take the config file's folder for it. */
  rootEnv?: string;
}

export const VITE_CLIS = {
  vite: {
    name: "vite",
    packageName: "vite",
    binName: "vite",
    subcommands: new Set(["dev", "serve", "build", "preview", "optimize"]),
    configLoader: true,
  },
  "react-router": {
    name: "react-router",
    packageName: "@react-router/dev",
    binName: "react-router",
    subcommands: new Set(["dev", "build", "routes", "typegen", "reveal"]),
    configLoader: false,
    rootEnv: "REACT_ROUTER_ROOT",
  },
} satisfies Record<string, ViteCli>;
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
export function parseViteArgs(argv: string[], cwd = process.cwd(), cli: ViteCli = VITE_CLIS.vite): ViteInvocation {
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
      if (value === undefined) throw new CaptunUsageError(`${flag} needs a value, e.g. \`captun ${cli.name} ${flag} my-app\`.`);
      env[CAPTUN_FLAGS[flag]!] = flag === "--name" ? tunnelNameFromFlag(value) : flag === "--secret-file" ? readSecretFile(value) : value;
    } else if (flag === "--config" || flag === "-c") {
      configFile = value;
    } else if (flag === "--configLoader") {
      configLoader = value;
    } else {
      viteArgs.push(flag, ...(value === undefined ? [] : [value]));
      if (!flag.startsWith("-") && !(viteArgs.length === 1 && cli.subcommands.has(flag)) && root === undefined) root = flag;
    }
  }
  return { viteArgs, env, configFile: configFile && resolve(cwd, configFile), configLoader, root: resolve(cwd, root ?? ".") };
}

/** Runs the project's Vite (or the framework CLI over it) with captun's plugin; resolves with its exit code. */
export async function viteCommand(argv: string[], cwd = process.cwd(), cli: ViteCli = VITE_CLIS.vite): Promise<number> {
  const invocation = parseViteArgs(argv, cwd, cli);
  const vite = findProjectBin("vite", "vite", invocation.root) ?? findProjectBin("vite", "vite", cwd);
  const bin =
    cli.packageName === "vite"
      ? vite
      : (findProjectBin(cli.packageName, cli.binName, invocation.root) ?? findProjectBin(cli.packageName, cli.binName, cwd));
  if (!vite || !bin)
    throw new CaptunUsageError(
      `No ${bin ? "vite" : cli.packageName} found from ${invocation.root}. Install it in the project (\`npm i -D ${bin ? "vite" : cli.packageName}\`), then run \`captun ${cli.name}\` again.`,
    );
  const wrapper = await writeWrapperConfig(vite.dir, invocation, cli.name);
  const configArgs = ["--config", wrapper, ...(cli.configLoader ? ["--configLoader", "native"] : [])];
  const child = spawn(process.execPath, [bin.bin, ...invocation.viteArgs, ...configArgs], {
    cwd,
    stdio: "inherit",
    env: { ...(cli.rootEnv ? { [cli.rootEnv]: invocation.root } : {}), ...process.env, ...invocation.env },
  });
  // Vite handles Ctrl-C itself (it shares the terminal); forward what only reaches us.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGTERM", forward);
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  process.off("SIGTERM", forward);
  return code ?? (signal ? 1 : 0);
}

function findProjectBin(packageName: string, binName: string, from: string): { dir: string; bin: string } | undefined {
  try {
    const require = createRequire(join(from, "package.json"));
    const manifest = require.resolve(`${packageName}/package.json`);
    const pkg = require(manifest) as { bin?: string | Record<string, string> };
    const bin = typeof pkg.bin === "string" ? pkg.bin : pkg.bin?.[binName];
    return bin ? { dir: dirname(manifest), bin: join(dirname(manifest), bin) } : undefined;
  } catch {
    return undefined;
  }
}

/** A config module (loaded natively by Node) that loads the user's config the way Vite would and adds captun. */
async function writeWrapperConfig(viteDir: string, invocation: ViteInvocation, cliName: string): Promise<string> {
  const dir = join(invocation.root, "node_modules", ".captun");
  await mkdir(dir, { recursive: true });
  const file = join(dir, "vite.config.mjs");
  const href = (path: string) => JSON.stringify(pathToFileURL(path).href);
  // From dist/ the core is .js; from src/ (this repository's tests) it is .ts.
  const devServer = new URL(`../dev-server/index${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url).href;
  await writeFile(
    file,
    `// Written by \`captun ${cliName}\`: your own config plus captun's plugin. Safe to delete.
// Imported at run time, never bundled: a CLI that bundles its Vite config (React Router's) would
// otherwise bundle all of Vite and captun into it.
const vite = ${href(join(viteDir, "dist/node/index.js"))};
const captun = ${JSON.stringify(devServer)};

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
  const { loadConfigFromFile } = await import(vite);
  const { CAPTUN_PLUGIN_NAME, captunUnplugin } = await import(captun);
  const loaded = await loadConfigFromFile(env, ${JSON.stringify(invocation.configFile)}, ${JSON.stringify(invocation.root)}, undefined, undefined, ${JSON.stringify(invocation.configLoader ?? "bundle")});
  const config = loaded?.config ?? {};
  if ((await names(config.plugins ?? [])).includes(CAPTUN_PLUGIN_NAME)) return config;
  return { ...config, plugins: [...(config.plugins ?? []), captunUnplugin.vite()] };
};
`,
  );
  return file;
}
