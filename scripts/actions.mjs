// The actions of this repository: every folder with an action.yml whose runs.main is dist/index.js.
// One list for the build, check-dist, docs and tests, so a new action is picked up everywhere.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @returns {{ dir: string, name: string, entry: string, manifest: any }[]} */
export function listActions() {
  const dirs = [];
  for (const top of readdirSync(ROOT)
    .filter((name) => name.startsWith('action-'))
    .sort()) {
    dirs.push(top);
    for (const sub of readdirSync(path.join(ROOT, top), { withFileTypes: true })) {
      if (sub.isDirectory() && existsSync(path.join(ROOT, top, sub.name, 'action.yml')))
        dirs.push(`${top}/${sub.name}`);
    }
  }
  return dirs
    .filter((dir) => existsSync(path.join(ROOT, dir, 'action.yml')))
    .map((dir) => {
      const manifest = parse(readFileSync(path.join(ROOT, dir, 'action.yml'), 'utf8'));
      return { dir, name: dir.replace('/', '-'), entry: path.join(ROOT, dir, 'src', 'index.ts'), manifest };
    });
}
