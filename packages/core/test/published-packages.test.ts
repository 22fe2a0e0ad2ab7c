// What npm users would download: each tarball passes publint and "are the types wrong" (ESM-only
// profile), ships a README and LICENSE, and has no source maps pointing at unshipped sources.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkPackage, createPackageFromTarballData } from "@arethetypeswrong/core";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PUBLISHED_PACKAGES, packPackage, readTarball } from "./_packages.ts";

let destination: string;
beforeAll(async () => {
  destination = await mkdtemp(join(tmpdir(), "captun-pack-"));
});
afterAll(async () => {
  await rm(destination, { recursive: true, force: true });
});

describe.each(PUBLISHED_PACKAGES)("the packed %s package", (folder) => {
  let tarball: Uint8Array;
  beforeAll(async () => {
    tarball = await readTarball(await packPackage(folder, destination));
  });

  it("passes publint with no errors, warnings or suggestions", async () => {
    const { messages, pkg } = await publint({ pack: { tarball: tarball.slice().buffer }, level: "suggestion", strict: true });
    expect(messages.map((message) => formatMessage(message, pkg))).toEqual([]);
  });

  it("has types that resolve for ESM consumers (attw, esm-only profile)", async () => {
    const result = await checkPackage(createPackageFromTarballData(tarball));
    if (!("problems" in result)) throw new Error(`attw could not analyse the package: ${JSON.stringify(result)}`);
    // The ESM-only profile: CommonJS resolution modes are out of scope for an ESM-only package.
    const problems = result.problems.filter(
      (problem) => !("resolutionKind" in problem) || !["node10", "node16-cjs"].includes(problem.resolutionKind),
    );
    expect(problems).toEqual([]);
  });

  it("ships a README, the LICENSE and a CHANGELOG, and no dangling source maps", async () => {
    const pkg = createPackageFromTarballData(tarball);
    const root = `/node_modules/${pkg.packageName}/`;
    const files = pkg.listFiles().map((file) => file.slice(root.length));
    expect(files).toEqual(expect.arrayContaining(["README.md", "LICENSE", "CHANGELOG.md", "package.json"]));
    // A map is only useful with its sources: embedded, or shipped beside it.
    for (const map of files.filter((file) => file.endsWith(".map"))) {
      const { sources, sourcesContent = [] } = JSON.parse(pkg.readFile(root + map)) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      const missing = sources.filter(
        (source, i) => typeof sourcesContent[i] !== "string" && !pkg.fileExists(new URL(source, `file://${root}${map}`).pathname),
      );
      expect(missing, `${map} points at sources the package does not ship`).toEqual([]);
    }
  });
});
