// The suites that need Microsoft's Azure ML REST spec use these instead of describe/it: without a
// spec (a clone with no ../shared and nothing fetched) they skip, and scripts/test.mjs names them.
import { describe, it } from '@jest/globals';
import { locateSpec, FETCH_SPEC_COMMAND } from '../../emulator/specSource.js';

const found = locateSpec();
/** The spec folder the emulator validates against, or undefined. */
export const SPEC_DIR: string | undefined = found.dir;
const skipped = ` [skipped: no Azure ML REST spec; \`${FETCH_SPEC_COMMAND}\` gets it]`;

/** A describe whose tests need the spec (validation or its files). */
export function describeWithSpec(name: string, fn: () => void): void {
  if (SPEC_DIR) describe(name, fn);
  else describe.skip(name + skipped, fn);
}

/** An it whose assertion holds only when the emulator validates against the spec. */
export function itWithSpec(name: string, fn: () => Promise<void> | void, timeout?: number): void {
  if (SPEC_DIR) it(name, fn, timeout);
  else it.skip(name + skipped, fn, timeout);
}
