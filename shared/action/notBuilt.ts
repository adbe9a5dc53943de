// The honest answer of an action asked for a capability this version does not have yet: fail
// the step and say what is missing, never pretend to succeed.

import { UserError } from '../errors.js';

export function notBuiltYet(action: string, capability: string): UserError {
  return new UserError(
    `${action}: ${capability} is not built in this version yet, so nothing was changed. ` +
      `Run with 'dry-run: true' to see the plan it would carry out.`,
  );
}
