// README's compatibility table claims versions "tested with": each must be the version the row's
// playground (whose Chromium tests the suite runs) pins, so the table cannot drift from the tests.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const repo = join(import.meta.dirname, "../../..");

/** Table row (its first cell) → the playground that tests it and the packages whose versions the row names. */
const ROWS: Record<string, { playground: string; packages: string[] }> = {
  Vite: { playground: "vite", packages: ["vite", "vite6", "vite7"] },
  Astro: { playground: "astro", packages: ["astro"] },
  "Next.js": { playground: "next", packages: ["next"] },
  Nuxt: { playground: "nuxt", packages: ["nuxt"] },
  SvelteKit: { playground: "sveltekit", packages: ["@sveltejs/kit"] },
  "React Router (framework mode)": { playground: "react-router", packages: ["@react-router/dev"] },
  SolidStart: { playground: "solid-start", packages: ["@solidjs/start"] },
  "Storybook (Vite builder)": { playground: "storybook", packages: ["storybook"] },
  "webpack-dev-server": { playground: "webpack", packages: ["webpack-dev-server", "webpack"] },
  "Rspack dev server": { playground: "rspack", packages: ["@rspack/dev-server", "@rspack/core"] },
  Rsbuild: { playground: "rspack", packages: ["@rsbuild/core"] },
};

function compatibilityRows(): Map<string, string> {
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const section = readme.split("## Compatibility\n")[1]?.split("\n## ")[0] ?? "";
  const rows = new Map<string, string>();
  for (const line of section.split("\n")) {
    if (!line.startsWith("|")) continue;
    const cells = line.split("|").map((cell) => cell.trim());
    if (cells.length < 4 || cells[1] === "framework" || /^-+$/.test(cells[1] ?? "")) continue;
    rows.set(cells[1]!, cells[2]!);
  }
  return rows;
}

function pinnedVersion(playground: string, name: string): string | undefined {
  const manifest = JSON.parse(readFileSync(join(repo, "playgrounds", playground, "package.json"), "utf8"));
  const spec: string | undefined = manifest.dependencies?.[name] ?? manifest.devDependencies?.[name];
  return spec?.replace(/^npm:[^@]+@/, "");
}

it("lists every framework row with the versions its playground pins and tests", () => {
  const rows = compatibilityRows();
  expect([...rows.keys()].sort()).toEqual(Object.keys(ROWS).sort());
  for (const [row, { playground, packages }] of Object.entries(ROWS)) {
    const claimed = rows.get(row)!.match(/\d+\.\d+\.\d+/g) ?? [];
    const pinned = packages.map((name) => pinnedVersion(playground, name));
    expect({ row, claimed: claimed.sort() }).toEqual({ row, claimed: pinned.sort() });
    const tests = join(repo, "playgrounds", playground, "test");
    expect(existsSync(tests) && readdirSync(tests).some((file) => file.endsWith(".e2e.test.ts"))).toBe(true);
  }
});
