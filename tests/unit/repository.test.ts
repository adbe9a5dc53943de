// Repository checks that keep generated things honest: READMEs and the common inputs in every
// action.yml match their sources, and every action's manifest has what the runner needs.

import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { COMMON_INPUT_NAMES } from '../../shared/azure/settings.js';
import { actionManifest, REPO_ROOT } from '../harness/runAction.js';

const ACTIONS = ['action-register', 'action-deploy', 'action-deploy/smoke-test', 'action-pipeline'];

describe('repository', () => {
  it('READMEs and action.yml common inputs are up to date (npm run docs)', () => {
    expect(() =>
      execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'docs.mjs'), '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  it.each(ACTIONS)('%s runs on node24 from dist/index.js, with branding and the common inputs', (action) => {
    const manifest = actionManifest(action) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(manifest.runs).toMatchObject({ using: 'node24', main: 'dist/index.js' });
    expect(manifest.name).toEqual(expect.any(String));
    expect(manifest.description).toEqual(expect.any(String));
    expect(manifest.branding).toMatchObject({ icon: expect.any(String), color: expect.any(String) });
    expect(Object.keys(manifest.inputs).slice(0, COMMON_INPUT_NAMES.length)).toEqual([...COMMON_INPUT_NAMES]);
  });

  it.each(ACTIONS)('%s/src/index.ts only starts main (after turning on the compile cache)', (action) => {
    const code = readFileSync(path.join(REPO_ROOT, action, 'src', 'index.ts'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('//'));
    // It turns Node's compile cache on first (shared/github/compileCache.ts), then imports main, so
    // that everything main loads is cached for the job's next step: nothing else.
    const shared = action.split('/').length === 1 ? '../../shared' : '../../../shared';
    expect(code).toEqual([
      `import { enableCompileCache } from '${shared}/github/compileCache.js';`,
      'enableCompileCache();',
      "const { main } = await import('./main.js');",
      'await main();',
    ]);
  });
});
