// What jest's globalTeardown (globalTeardown.mjs) does once every test file of the run has finished:
// prints the reliability table (when a reliability file ran) or the secrets scan's line, and removes
// the ledgers of earlier runs.

import { finalFigures, describeLedger } from '../reliability/figures.js';
import { jestRunKey, readLedgers, removeOldRuns } from './secretScan.js';

export function printFigures(): void {
  const runKey = jestRunKey();
  const table = finalFigures(runKey);
  const ledger = readLedgers(runKey);
  if (table) process.stdout.write(`\n${table}\n`);
  else if (ledger.runs + ledger.planted > 0) process.stdout.write(`\n${describeLedger(ledger)}\n`);
  removeOldRuns('secret-scan', runKey);
  removeOldRuns('reliability', runKey);
}
