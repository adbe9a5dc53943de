// One error type for mistakes a user can fix (bad input, missing permission, resource in a bad
// state). Anything else is a bug and keeps its stack; see `describeFailure`.

import { inertValue } from './github/untrustedText.js';

export class UserError extends Error {
  override readonly name = 'UserError';
  /** The action input the problem is about, when there is one. */
  readonly input: string | undefined;

  constructor(message: string, options: { input?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.input = options.input;
  }
}

/** An input whose value is not allowed: names the input, the value and what is allowed. */
export class InputError extends UserError {
  constructor(input: string, value: string, allowed: string) {
    super(`Input '${input}' ${value === '' ? 'is empty' : `has the value ${quoteValue(value)}`}; ${allowed}`, {
      input,
    });
  }
}

/** Quotes a user-supplied value for an error message: one line, bounded length, no workflow commands. */
export function quoteValue(value: string): string {
  const oneLine = inertValue(value).replace(/::/g, ':\u200b:');
  const cut = oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine;
  return `'${cut}'`;
}

/** The text to show for a failure: user errors plainly, bugs with their stack. */
export function describeFailure(error: unknown): { message: string; isBug: boolean } {
  if (error instanceof UserError) return { message: error.message, isBug: false };
  if (error instanceof Error) return { message: error.stack ?? error.message, isBug: true };
  return { message: String(error), isBug: true };
}
