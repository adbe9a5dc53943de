// Node's compile cache goes under the job's RUNNER_TEMP, never the machine's shared temp folder
// (another user of a self-hosted runner could plant compiled code there), and nowhere without it.

import { expect, it } from '@jest/globals';
import path from 'node:path';
import { compileCacheDirectory } from '../../shared/github/compileCache.js';

it('puts the cache in RUNNER_TEMP, and nowhere without it', () => {
  expect(compileCacheDirectory('/home/runner/work/_temp')).toBe(
    path.join('/home/runner/work/_temp', 'azureml-actions-node-compile-cache'),
  );
  expect(compileCacheDirectory(undefined)).toBeUndefined();
  expect(compileCacheDirectory('')).toBeUndefined();
});
