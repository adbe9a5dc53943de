// The stale-bundle check npm test runs before jest (scripts/dist-sources.mjs): a bundle whose
// recorded sources changed, vanished or were never recorded is named; packages and folders are not recorded.

import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distStaleness, SOURCES_FILE, sourcesRecord } from '../../scripts/dist-sources.mjs';

/** A repository with one action whose dist/ records `files` (what ncc reported it read). */
function repository(): { root: string; record: () => void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dist-sources-'));
  const files: Record<string, string> = {
    'package-lock.json': '{}',
    'action-x/src/main.ts': 'export const a = 1;',
    'shared/errors.ts': 'export class E {}',
    'node_modules/pkg/index.js': 'module.exports = 1;',
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  const read = [...Object.keys(files).map((file) => path.join(root, file)), path.join(root, 'shared'), os.tmpdir()];
  const record = () => {
    mkdirSync(path.join(root, 'action-x', 'dist'), { recursive: true });
    writeFileSync(path.join(root, 'action-x', 'dist', SOURCES_FILE), JSON.stringify(sourcesRecord(read, root)));
  };
  return { root, record };
}

describe('dist sources', () => {
  it('records the repository files a bundle read, not packages, folders or files outside', () => {
    const { root } = repository();
    const read = ['package-lock.json', 'action-x/src/main.ts', 'node_modules/pkg/index.js', 'shared'].map((f) =>
      path.join(root, f),
    );
    expect(Object.keys(sourcesRecord([...read, os.tmpdir()], root).files)).toEqual([
      'action-x/src/main.ts',
      'package-lock.json',
    ]);
    rmSync(root, { recursive: true, force: true });
  });

  const cases: Array<[string, (root: string) => void, RegExp | undefined]> = [
    ['a bundle built from the files as they are is up to date', () => undefined, undefined],
    [
      'an edited source names the file',
      (root) => writeFileSync(path.join(root, 'shared/errors.ts'), 'export class E { x = 1 }'),
      /changed since it was built: shared\/errors\.ts$/,
    ],
    [
      'a new lockfile (other packages) makes it stale',
      (root) => writeFileSync(path.join(root, 'package-lock.json'), '{"v":2}'),
      /package-lock\.json/,
    ],
    [
      'a deleted source is named as deleted',
      (root) => rmSync(path.join(root, 'action-x/src/main.ts')),
      /action-x\/src\/main\.ts \(deleted\)/,
    ],
    [
      'a dist without a record cannot be trusted',
      (root) => rmSync(path.join(root, 'action-x/dist', SOURCES_FILE)),
      /has no sources\.json/,
    ],
  ];
  it.each(cases)('%s', (_name, change, expected) => {
    const { root, record } = repository();
    record();
    change(root);
    const reason = distStaleness('action-x', root);
    if (expected) expect(reason).toMatch(expected);
    else expect(reason).toBeUndefined();
    rmSync(root, { recursive: true, force: true });
  });
});
