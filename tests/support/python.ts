// The suites that run Python (python/requirements.lock, built by `npm run python-env`, which npm test
// runs first) use these: without the environment, outside CI, they skip with the reason.
import { describe } from '@jest/globals';
import { pythonEnvStatus } from '../../scripts/python-env.js';

const env = pythonEnvStatus();
/** The virtual environment's python, or undefined when it is not built from the current lock. */
export const PYTHON: string | undefined = 'python' in env ? env.python : undefined;
/** Its bin folder (azmlinfsrv and the other console scripts). */
export const PYTHON_BIN: string | undefined = PYTHON?.replace(/\/python$/, '');

export function describeWithPython(name: string, fn: () => void): void {
  if (PYTHON) describe(name, fn);
  else describe.skip(`${name} [skipped: ${'reason' in env ? env.reason : ''}; \`npm run python-env\` builds it]`, fn);
}
