// `npm test`: makes sure the emulator's CA exists, then starts jest with NODE_EXTRA_CA_CERTS pointing
// at it. Node reads that variable only at process start, so the jest workers (which talk HTTPS to
// the emulator with the real Azure SDK) must inherit it from here.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './actions.mjs';

const ensure = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'emulator', 'cli.ts'), '--ensure-ca'], {
  cwd: ROOT,
  encoding: 'utf8',
});
if (ensure.status !== 0) {
  process.stderr.write(`Could not create the emulator's CA:\n${ensure.stderr}`);
  process.exit(1);
}
const caFile = ensure.stdout.trim().split('\n').pop();
const jest = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), ...process.argv.slice(2)],
  { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile } },
);
process.exit(jest.status ?? 1);
