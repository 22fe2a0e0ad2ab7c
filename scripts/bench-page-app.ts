// The dev app `bench-page-load.ts` serves: a generated React app whose shape is a real one's in
// dev — ~300 TSX/TS modules several imports deep, some CSS, two lazily loaded routes, and React +
// react-dom pre-bundled by Vite's dep optimizer. Same seed, same app: runs stay comparable.
// The page sets `window.__ready` (ms since navigation start) once every module, lazy ones
// included, has been fetched and evaluated.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** React comes from the workspace (the React Router playground installs it): nothing new to install. */
const REACT_FROM = new URL("../playgrounds/react-router/node_modules/", import.meta.url);

/** Components per level below the entry: routes, then features, then ever smaller parts. */
const LEVELS = [8, 24, 56, 96, 88];
const UTILS = 28;
const LAZY_ROUTES = 2;
const CSS_EVERY = 14;
/** Data rows per module, on average: sets the app's size (≈ 3 MB of modules as Vite serves them, source maps included). */
const ROWS = 19;

const WORDS = (
  "account action active address admin alert amount anchor api archive asset audit avatar badge balance banner " +
  "batch billing block board border bucket budget buffer button cache calendar campaign canvas card cart catalog " +
  "channel chart checkout circle client cluster column comment config contact content context counter coupon " +
  "credit cursor dashboard debounce delivery deploy detail device dialog digest discount domain draft drawer " +
  "editor element email endpoint entry event export feature field filter footer form frame gallery gateway grid " +
  "group header health history hover import inbox index input invoice item label layout ledger limit link list " +
  "loader locale lookup margin media member menu merge message meter metric modal module monitor notice order " +
  "origin owner panel parser payment pending picker pipeline plan player policy popover portal preview price " +
  "profile progress project prompt query queue quota radio range rating record region release render report " +
  "request resource result review role route row runtime sample schedule schema scope search section segment " +
  "select session setting shadow sheet shipping sidebar signal slider slot snapshot source spinner stack status " +
  "step store stream style summary switch table tag target task template tenant theme thread ticket timeline " +
  "toast token toolbar tooltip topic total tracker trigger upload usage user value variant vendor version view " +
  "viewport wallet webhook widget window workflow workspace"
).split(" ");

/** mulberry32: small, seeded, good enough to vary shapes. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PageApp {
  root: string;
  /** Modules written (components, utilities, the entry), CSS files apart. */
  modules: number;
  cssFiles: number;
}

/** Writes the app into `root` (an empty folder) and links React from the workspace into its node_modules. */
export function generatePageApp(root: string, seed = 15): PageApp {
  const rand = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const word = () => pick(WORDS);
  const camel = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const w = word();
      return i === 0 ? w : w[0]!.toUpperCase() + w.slice(1);
    }).join("");
  const src = join(root, "src");
  mkdirSync(join(src, "parts"), { recursive: true });
  mkdirSync(join(root, "node_modules"), { recursive: true });
  for (const name of ["react", "react-dom"]) {
    symlinkSync(fileURLToPath(new URL(name, REACT_FROM)), join(root, "node_modules", name), "dir");
  }

  const utils = Array.from({ length: UTILS }, (_, i) => `u${i}`);
  for (const name of utils) {
    const fns = Array.from({ length: 4 + Math.floor(rand() * 6) }, () => camel(3));
    const body = fns
      .map((fn, k) => {
        // Suffixed, so no word ("switch", "default") ever becomes a reserved identifier.
        const [amount, label] = [`${word()}Count`, `${word()}Label`];
        return (
          `export function ${fn}(${amount}: number, ${label}: string): string {\n` +
          `  const scaled = Math.round(${amount} * ${(rand() * 10).toFixed(3)} + ${k});\n` +
          `  return \`\${${label}}-${word()}-\${scaled.toString(${16 + (k % 4) * 4})}\`;\n}\n`
        );
      })
      .join("\n");
    writeFileSync(join(src, "parts", `${name}.ts`), `${body}\nexport const ${name} = [${fns.join(", ")}];\n`);
  }

  const levels = LEVELS.map((size, level) => Array.from({ length: size }, (_, i) => `C${level}x${i}`));
  const children = new Map<string, Set<string>>();
  for (let level = 0; level < levels.length - 1; level++) {
    const parents = levels[level]!;
    const next = levels[level + 1]!;
    for (const parent of parents) children.set(parent, new Set());
    // Every component has at least one importer; then a few more edges make it a graph, not a tree.
    for (const child of next) children.get(pick(parents))!.add(child);
    for (const parent of parents) {
      for (let extra = Math.floor(rand() * 2); extra > 0; extra--) children.get(parent)!.add(pick(next));
    }
  }

  let cssFiles = 0;
  for (const component of levels.flat()) {
    const kids = [...(children.get(component) ?? [])];
    const used = [...new Set(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(utils)))];
    const imports = [
      `import { useState } from "react";`,
      ...kids.map((kid) => `import { ${kid} } from "./${kid}.tsx";`),
      ...used.map((util) => `import { ${util} } from "./${util}.ts";`),
    ];
    if (cssFiles * CSS_EVERY < levels.flat().indexOf(component)) {
      cssFiles++;
      imports.push(`import "./${component}.css";`);
      const rules = Array.from(
        { length: 12 + Math.floor(rand() * 20) },
        (_, k) =>
          `.${component}-${word()}-${k} {\n  display: ${pick(["flex", "grid", "block"])};\n  padding: ${k % 5}px ${(k * 3) % 17}px;\n` +
          `  color: #${Math.floor(rand() * 0xffffff)
            .toString(16)
            .padStart(6, "0")};\n  border-radius: ${k % 9}px;\n}\n`,
      );
      writeFileSync(join(src, "parts", `${component}.css`), rules.join("\n"));
    }
    const rows = Array.from(
      { length: Math.max(2, Math.round(ROWS * (0.3 + rand() * 1.4))) },
      (_, k) =>
        `  { id: "${word()}-${word()}-${k}", label: "${word()} ${word()} ${word()}", weight: ${rand().toFixed(3)}, ` +
        `tags: ["${word()}", "${word()}"], enabled: ${rand() < 0.5} },`,
    );
    const handler = camel(2);
    const heading = 2 + Math.floor(rand() * 4);
    writeFileSync(
      join(src, "parts", `${component}.tsx`),
      `${imports.join("\n")}\n\n` +
        `interface Row {\n  id: string;\n  label: string;\n  weight: number;\n  tags: string[];\n  enabled: boolean;\n}\n\n` +
        `const ROWS: Row[] = [\n${rows.join("\n")}\n];\n\n` +
        `export function ${component}({ depth }: { depth: number }) {\n` +
        `  const [open, set${handler[0]!.toUpperCase()}${handler.slice(1)}] = useState(depth < 2);\n` +
        `  const visible = ROWS.filter((row) => row.enabled || open);\n` +
        `  const format = ${used[0]}[0]!;\n` +
        `  return (\n    <section className="${component}" data-depth={depth}>\n` +
        `      <h${heading}>{format(visible.length, "${word()}")}</h${heading}>\n` +
        `      <ul>{visible.slice(0, 3).map((row) => <li key={row.id} title={row.tags.join(" ")}>{row.label}</li>)}</ul>\n` +
        kids.map((kid) => `      <${kid} depth={depth + 1} />\n`).join("") +
        `    </section>\n  );\n}\n`,
    );
  }

  const routes = levels[0]!;
  const lazy = routes.slice(-LAZY_ROUTES);
  const eager = routes.slice(0, routes.length - LAZY_ROUTES);
  writeFileSync(
    join(src, "main.tsx"),
    `import { StrictMode } from "react";\nimport { createRoot } from "react-dom/client";\n` +
      eager.map((route) => `import { ${route} } from "./parts/${route}.tsx";`).join("\n") +
      `\n\ndeclare global {\n  interface Window {\n    __ready?: number;\n  }\n}\n\n` +
      `createRoot(document.getElementById("root")!).render(\n  <StrictMode>\n` +
      eager.map((route) => `    <${route} depth={0} />\n`).join("") +
      `  </StrictMode>,\n);\n\n` +
      `// The routes a visitor opens next, loaded right away so "all modules fetched" has one end.\n` +
      `await Promise.all([${lazy.map((route) => `import("./parts/${route}.tsx")`).join(", ")}]);\n` +
      `window.__ready = performance.now();\n`,
  );
  writeFileSync(
    join(root, "index.html"),
    `<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8" />\n    <title>captun page-load bench</title>\n    <link rel="icon" href="data:," />\n  </head>\n` +
      `  <body>\n    <div id="root"></div>\n    <script type="module" src="/src/main.tsx"></script>\n  </body>\n</html>\n`,
  );
  return { root, modules: levels.flat().length + UTILS + 1, cssFiles };
}
