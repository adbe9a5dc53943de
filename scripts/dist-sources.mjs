// What each action's dist/ was built from: `npm run build` records every repository file ncc read
// (plus the lockfile, tsconfig and build script) with its hash in dist/sources.json, so `npm test`
// can tell in milliseconds, without building, whether a bundle is older than its source.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './actions.mjs';

export const SOURCES_FILE = 'sources.json';
/** Files that shape every bundle without being imported by it (node_modules: through the lockfile). */
const BUILD_INPUTS = ['package-lock.json', 'tsconfig.json', 'scripts/build.mjs'];
/**
 * ncc reads the root package.json for its module type; its dependencies are in the lockfile, and
 * an edit of its scripts must not make every bundle stale.
 */
const NOT_INPUTS = new Set(['package.json']);

/** Hashes by path, size and mtime: the actions share most of shared/, each file is read once. */
const hashes = new Map();
function hashFile(file) {
  const { size, mtimeMs } = statSync(file);
  const key = `${file}\0${size}\0${mtimeMs}`;
  let hash = hashes.get(key);
  if (hash === undefined) {
    hash = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
    hashes.set(key, hash);
  }
  return hash;
}

/** The record to write as dist/sources.json, from the files ncc's compilation depended on. */
export function sourcesRecord(fileDependencies, root = ROOT) {
  const files = new Set(BUILD_INPUTS.filter((file) => existsSync(path.join(root, file))));
  for (const file of fileDependencies) {
    const relative = path.relative(root, file);
    // Packages are pinned by the lockfile; hashing their thousands of files would make the check slow.
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) continue;
    if (relative.split(path.sep).includes('node_modules') || NOT_INPUTS.has(relative)) continue;
    if (!existsSync(file) || !statSync(file).isFile()) continue; // webpack also lists the folders it searched
    files.add(relative.split(path.sep).join('/'));
  }
  const sorted = [...files].sort();
  return {
    about:
      'Written by npm run build: the files this bundle was built from; npm test refuses a bundle whose files changed.',
    files: Object.fromEntries(sorted.map((file) => [file, hashFile(path.join(root, file))])),
  };
}

/**
 * Why `dir`/dist is older than its source (the files that changed since it was built), or
 * undefined when it is up to date.
 */
export function distStaleness(dir, root = ROOT) {
  const recordFile = path.join(root, dir, 'dist', SOURCES_FILE);
  if (!existsSync(recordFile)) return `it has no ${SOURCES_FILE} (built before the build recorded its sources)`;
  const { files } = JSON.parse(readFileSync(recordFile, 'utf8'));
  const changed = [];
  for (const [file, hash] of Object.entries(files)) {
    if (!existsSync(path.join(root, file))) changed.push(`${file} (deleted)`);
    else if (hashFile(path.join(root, file)) !== hash) changed.push(file);
  }
  if (changed.length === 0) return undefined;
  const more = changed.length > 3 ? ` and ${changed.length - 3} more` : '';
  return `changed since it was built: ${changed.slice(0, 3).join(', ')}${more}`;
}
