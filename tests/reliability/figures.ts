// The figures of the reliability suite (issue #12): each file writes its counted cases to a folder
// of this jest run; the secrets row is the whole jest run's secrets scan (tests/harness/secretScan.ts).
// No jest imports here: jest's globalTeardown (tests/harness/globalTeardown.ts) prints the table.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jestRunKey, readLedgers, type Ledger } from '../harness/secretScan.js';
import { REPO_ROOT } from '../harness/runAction.js';

/** `injection`: hostile text from outside printed by a built action, no command as the runner reads it. */
export const CATEGORIES = ['login', 'faults', 'inputs', 'secrets', 'races', 'injection'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface Row {
  category: Category;
  name: string;
  passed: boolean;
  /** The bug a failing case documents (cases marked it.failing). */
  bug?: string;
}

const rows: Row[] = [];

export function record(category: Category, name: string, passed: boolean, bug?: string): void {
  rows.push({ category, name, passed, ...(bug ? { bug } : {}) });
}

function figuresDir(runKey: string): string {
  return path.join(REPO_ROOT, '.cache', 'reliability', runKey);
}

/** Writes this file's rows for the table that jest's globalTeardown prints at the end of the run. */
export function writeFigures(file: string): void {
  const dir = figuresDir(jestRunKey());
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${file}.json`), JSON.stringify(rows, null, 1));
}

/** The table of a finished jest run (undefined when no reliability file ran), also written to .cache/reliability/figures.md. */
export function finalFigures(runKey: string): string | undefined {
  const dir = figuresDir(runKey);
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return undefined;
  }
  const all: Row[] = [];
  for (const f of files) all.push(...(JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Row[]));
  const table = formatFigures(
    all,
    files.map((f) => f.replace(/\.json$/, '')),
    readLedgers(runKey),
  );
  writeFileSync(path.join(REPO_ROOT, '.cache', 'reliability', 'figures.md'), `${table}\n`);
  return table;
}

/** One line on the secrets scan of a jest run: what was scanned, for how many secrets, and the hits. */
export function describeLedger(ledger: Ledger): string {
  const kinds = Object.entries(ledger.issued)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
  return (
    `Secrets scan of this jest run: ${ledger.runs} runs of built actions scanned (${ledger.runsWithoutEmulator} without an emulator: ` +
    `their given secrets and JWT/SAS shapes only), ${Object.values(ledger.issued).reduce((a, b) => a + b, 0)} secrets issued by their emulators` +
    `${kinds ? ` (${kinds})` : ''}, ${ledger.hits} hits in ${ledger.runsWithHits} runs; planted leaks caught ${ledger.plantedCaught} of ${ledger.planted}.`
  );
}

/** Secrets: one case per scanned run of a built action in the whole jest run; other categories: the files' rows. */
export function formatFigures(all: Row[], files: string[], ledger: Ledger): string {
  const lines = [
    `Reliability figures (issue #12), files: ${files.sort().join(', ')}`,
    '',
    '| category | cases | passed | failed |',
    '|---|---:|---:|---:|',
  ];
  let cases = 0;
  let passed = 0;
  for (const category of CATEGORIES) {
    const mine = all.filter((r) => r.category === category);
    const count = category === 'secrets' ? ledger.runs : mine.length;
    const ok = category === 'secrets' ? ledger.runs - ledger.runsWithHits : mine.filter((r) => r.passed).length;
    cases += count;
    passed += ok;
    lines.push(`| ${category} | ${count} | ${ok} | ${count - ok} |`);
  }
  lines.push(`| total | ${cases} | ${passed} | ${cases - passed} |`, '', describeLedger(ledger));
  const failed = all.filter((r) => !r.passed);
  if (failed.length > 0) {
    lines.push('', 'Failed cases (each is a known bug marked it.failing, or a regression):');
    for (const r of failed) lines.push(`- ${r.category}: ${r.name}${r.bug ? ` [bug: ${r.bug}]` : ''}`);
  }
  return lines.join('\n');
}
