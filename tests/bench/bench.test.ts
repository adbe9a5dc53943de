// `npm run bench` in its quick mode, on two cheap benchmarks: the runner starts them, prints a
// progress line per benchmark and one table, and leaves RESULTS.md alone. Figures are not checked
// (tests never assert timings); only that each benchmark ran and produced its rows.

import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../harness/runAction.js';

const RESULTS = path.join(REPO_ROOT, 'bench', 'RESULTS.md');

describe('npm run bench -- --smoke', () => {
  it('runs the bundle and delta benchmarks and prints one table with a verdict per row', () => {
    const before = existsSync(RESULTS) ? statSync(RESULTS).mtimeMs : undefined;
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', 'bundle', 'delta'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 300_000,
    });
    // One progress line as each starts (in the runner's order, not the command line's).
    expect(run.stderr).toMatch(/^\[1\/2\] delta: /m);
    expect(run.stderr).toMatch(/^\[2\/2\] bundle: /m);
    expect(run.stderr).not.toContain('FAILED');
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.some((line) => /^benchmark\s+ours\s+peer\s+ratio\s+target\s+met\?/.test(line))).toBe(true);
    for (const name of ['bundle action-register', 'bundle action-deploy', 'delta 1 % changed']) {
      const row = lines.find((line) => line.startsWith(name));
      expect(row).toMatch(/\b(met|not met)\s*$/);
    }
    // Quick runs never overwrite the measured results.
    expect(existsSync(RESULTS) ? statSync(RESULTS).mtimeMs : undefined).toBe(before);
  }, 320_000);

  it('refuses an unknown benchmark name and lists the known ones', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', 'no-such'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown benchmark(s): no-such');
    expect(run.stderr).toContain(
      'upload, dedupe, delta, memory, cold-start, smoke, serve, serve-script, bundle, deploy',
    );
  });
});
