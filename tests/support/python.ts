// The suites that run Python (python/requirements.lock, built by `npm run python-env`, which npm test
// runs first) use these: without the environment, outside CI, they skip with the reason.
import { describe } from '@jest/globals';
import { pythonEnvStatus } from '../../scripts/python-env.js';

const env = pythonEnvStatus();
/** The virtual environment's python, or undefined when it is not built from the current lock. */
export const PYTHON: string | undefined = 'python' in env ? env.python : undefined;
/** Why PYTHON is undefined ('' when it is defined). */
export const PYTHON_SKIP_REASON: string = 'reason' in env ? env.reason : '';
/** Its bin folder (azmlinfsrv and the other console scripts). */
export const PYTHON_BIN: string | undefined = PYTHON?.replace(/\/python$/, '');

export function describeWithPython(name: string, fn: () => void): void {
  if (PYTHON) describe(name, fn);
  else describe.skip(`${name} [skipped: ${PYTHON_SKIP_REASON}; \`npm run python-env\` builds it]`, fn);
}
