// `bundle`: the size of each action's committed dist/ (every workflow run downloads it) and that it
// carries no native binaries (.node addons, ELF/Mach-O/PE executables). Target: <= 20 MB each.
// No peer: the figure is absolute. Besides the total it shows what the runner reads at start-up
// (index.js) and the largest other files, so a size change can be traced to its cause.

import { openSync, readdirSync, readSync, closeSync, statSync } from 'node:fs';
import path from 'node:path';
import { megabytes, ROOT, verdict, type Benchmark, type Row } from '../lib/common.js';

const LIMIT = 20e6;
const MAGIC: Array<[string, Buffer]> = [
  ['ELF', Buffer.from([0x7f, 0x45, 0x4c, 0x46])],
  ['Mach-O', Buffer.from([0xcf, 0xfa, 0xed, 0xfe])],
  ['Mach-O', Buffer.from([0xca, 0xfe, 0xba, 0xbe])],
  ['PE', Buffer.from('MZ')],
];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(full));
    else out.push(full);
  }
  return out;
}

function nativeKind(file: string): string | undefined {
  if (file.endsWith('.node')) return 'Node addon';
  const head = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  return MAGIC.find(([, magic]) => head.subarray(0, magic.length).equals(magic))?.[0];
}

/** Action folders: every folder with an action.yml and a dist/ (as scripts/actions.mjs lists them). */
export function actionDists(): string[] {
  const dirs: string[] = [];
  for (const top of readdirSync(ROOT).filter((name) => name.startsWith('action-'))) {
    const candidates = [top, ...readdirSync(path.join(ROOT, top)).map((sub) => path.join(top, sub))];
    for (const dir of candidates) {
      try {
        if (
          statSync(path.join(ROOT, dir, 'action.yml')).isFile() &&
          statSync(path.join(ROOT, dir, 'dist')).isDirectory()
        )
          dirs.push(dir);
      } catch {
        // not an action folder
      }
    }
  }
  return dirs.sort();
}

export const bundle: Benchmark = {
  name: 'bundle',
  what: "size of each action's dist/ (<= 20 MB) and no native binaries in it",
  run() {
    const rows: Row[] = [];
    for (const dir of actionDists()) {
      const dist = path.join(ROOT, dir, 'dist');
      const all = files(dist).map((file) => ({ file, size: statSync(file).size }));
      const total = all.reduce((sum, f) => sum + f.size, 0);
      const native = all.map((f) => ({ ...f, kind: nativeKind(f.file) })).filter((f) => f.kind !== undefined);
      const index = all.find((f) => path.basename(f.file) === 'index.js' && path.dirname(f.file) === dist);
      const largest = all
        .filter((f) => f !== index)
        .sort((a, b) => b.size - a.size)
        .slice(0, 3)
        .map((f) => `${path.relative(dist, f.file)} ${megabytes(f.size)}`);
      rows.push({
        benchmark: `bundle ${dir}`,
        ours: `${megabytes(total)}, ${native.length === 0 ? 'no native' : `${native.length} native`}`,
        peer: '-',
        ratio: `${((total / LIMIT) * 100).toFixed(0)} % of limit`,
        target: '<= 20 MB, no native binaries',
        verdict: verdict(total <= LIMIT && native.length === 0),
        note:
          `${all.length} files; index.js ${megabytes(index?.size ?? 0)} (read at start-up), largest others: ${largest.join(', ')}` +
          (native.length > 0
            ? `; native: ${native.map((f) => `${path.relative(dist, f.file)} (${f.kind})`).join(', ')}`
            : ''),
      });
    }
    return Promise.resolve(rows);
  },
};
