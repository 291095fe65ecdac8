// The maps a newcomer reads must stay true: every file or folder that README.md and docs/*.md
// cite under src/, test/, bench/, docs/ or scripts/ exists, and README's layout names every
// folder of src/.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const DOCS = [
  "README.md",
  ...readdirSync("docs")
    .filter((f) => f.endsWith(".md"))
    .map((f) => join("docs", f)),
];
const CITED = /(?<![\w./-])((?:src|test|bench|docs|scripts|dashboard)\/[\w./*-]*[\w*/])/g;

test("every path the docs cite exists", () => {
  const missing: string[] = [];
  for (const doc of DOCS) {
    for (const m of readFileSync(doc, "utf8").matchAll(CITED)) {
      const p = m[1]!.replace(/\/$/, "");
      if (p.includes("*")) continue; // globs describe user files, e.g. pages/api/**
      if (!existsSync(p)) missing.push(`${doc}: ${p}`);
    }
  }
  assert.deepEqual(missing, []);
});

test("README's layout names every folder of src/", () => {
  const readme = readFileSync("README.md", "utf8");
  const layout = readme.slice(readme.indexOf("## Layout"), readme.indexOf("##", readme.indexOf("## Layout") + 3));
  const folders = readdirSync("src").filter((f) => statSync(join("src", f)).isDirectory());
  const absent = folders.filter((f) => !layout.includes(`src/${f}/`));
  assert.deepEqual(absent, [], "folders of src/ missing from README's Layout");
});
