// Run with tsx (package.json scripts do): it imports the onnxruntime-web file list from shared/.
// Bundles every action's src/index.ts into its committed dist/ with ncc (one ESM file, no
// node_modules at run time). `--check` builds into a temp folder and fails on any difference
// with the committed dist/ folders, so CI catches a source change whose bundle was not rebuilt.
// Each dist/ also gets sources.json (dist-sources.mjs): what it was built from, for `npm test`.

import ncc from '@vercel/ncc';
import { transform } from 'esbuild';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ORT_WEB_BUNDLE_FOLDER, ORT_WEB_DIST_FILES } from '../shared/scoring/ort-web.ts';
import { listActions, ROOT } from './actions.mjs';
import { SOURCES_FILE, sourcesRecord } from './dist-sources.mjs';

const check = process.argv.includes('--check');
// `--only action-deploy[,action-pipeline]`: build (or check) just these action folders, so work on
// one action does not rewrite the bundles of another that is being changed at the same time.
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? new Set((process.argv[onlyIndex + 1] ?? '').split(',').filter(Boolean)) : undefined;

// onnxruntime-web cannot be bundled (ncc drops its WASM loader, FACTS.md): actions that serve
// models locally ship its files next to the bundle; the loader in shared/scoring says which.
const ACTIONS_WITH_ORT = new Set(['action-deploy']);

async function buildAction(action, distDir) {
  const { code, assets, stats } = await ncc(action.entry, {
    quiet: true,
    // Minified afterwards by esbuild (minifyScript): ncc's own minify skips the split chunks.
    minify: false,
    sourceMap: false,
    cache: false,
    target: 'es2022',
    license: 'licenses.txt',
    // `npm run build` type-checks the whole project with tsc first; ncc only transpiles.
    transpileOnly: true,
  }).catch((error) => {
    // ncc's own errors carry a minified stack of many kilobytes: keep the message.
    throw new Error(`ncc could not bundle ${action.dir}: ${String(error.message ?? error).slice(0, 2000)}`);
  });
  rmSync(distDir, { recursive: true, force: true });
  mkdirSync(distDir, { recursive: true });
  writeFileSync(path.join(distDir, 'index.js'), await minifyScript(code));
  for (const [name, asset] of Object.entries(assets)) {
    const target = path.join(distDir, name);
    mkdirSync(path.dirname(target), { recursive: true });
    // ncc's split chunks (`835.index.js`: what `import()` loads later) are code like index.js.
    const isChunk = /^\d+\.index\.js$/.test(name);
    writeFileSync(target, isChunk ? await minifyScript(asset.source.toString('utf8')) : asset.source);
  }
  const record = sourcesRecord(stats.compilation.fileDependencies);
  writeFileSync(path.join(distDir, SOURCES_FILE), `${JSON.stringify(record, null, 2)}\n`);
  if (ACTIONS_WITH_ORT.has(action.dir)) {
    const ortDir = path.join(distDir, ORT_WEB_BUNDLE_FOLDER);
    mkdirSync(ortDir, { recursive: true });
    for (const file of ORT_WEB_DIST_FILES)
      copyFileSync(path.join(ROOT, 'node_modules', 'onnxruntime-web', 'dist', file), path.join(ortDir, file));
  }
}

/**
 * Every workflow downloads the whole repository and Node parses index.js at each step's start, so
 * the bundles are minified, and written in ASCII only (non-ASCII characters escaped): a source with
 * even one non-ASCII character is held by V8 as two-byte text, which it scans and compiles slower.
 */
async function minifyScript(source) {
  const { code } = await transform(source, {
    format: 'esm',
    target: 'es2022',
    platform: 'node',
    charset: 'ascii',
    minify: true,
    legalComments: 'none',
  });
  return code;
}

function listFiles(dir, base = dir) {
  let files = [];
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return files;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files = files.concat(listFiles(full, base));
    else files.push(path.relative(base, full));
  }
  return files.sort();
}

function compareDirs(expected, actual) {
  const differences = [];
  const expectedFiles = listFiles(expected);
  const actualFiles = listFiles(actual);
  for (const file of new Set([...expectedFiles, ...actualFiles])) {
    if (!expectedFiles.includes(file)) differences.push(`committed but not produced by the build: ${file}`);
    else if (!actualFiles.includes(file)) differences.push(`missing from the committed dist: ${file}`);
    else if (!readFileSync(path.join(expected, file)).equals(readFileSync(path.join(actual, file)))) {
      differences.push(`differs: ${file}`);
    }
  }
  return differences;
}

process.on('uncaughtException', (error) => {
  console.error(error.message);
  process.exit(1);
});

const actions = listActions().filter((action) => !only || only.has(action.dir));
if (only && actions.length !== only.size) {
  console.error(`--only names unknown action folders: ${[...only].join(', ')}`);
  process.exit(1);
}
const tempRoot = check ? mkdtempSync(path.join(os.tmpdir(), 'check-dist-')) : undefined;
let failed = false;
for (const action of actions) {
  const started = Date.now();
  const committedDist = path.join(ROOT, action.dir, 'dist');
  const distDir = tempRoot ? path.join(tempRoot, action.name) : committedDist;
  await buildAction(action, distDir);
  const size = listFiles(distDir).reduce((sum, file) => sum + statSync(path.join(distDir, file)).size, 0);
  const label = `${action.dir}/dist (${(size / 1e6).toFixed(1)} MB, ${Date.now() - started} ms)`;
  if (!tempRoot) {
    console.log(`built ${label}`);
    continue;
  }
  const differences = compareDirs(distDir, committedDist);
  if (differences.length === 0) {
    console.log(`up to date: ${label}`);
  } else {
    failed = true;
    console.log(`OUT OF DATE: ${action.dir}/dist: run 'npm run build' and commit dist/ with its source.`);
    for (const difference of differences) console.log(`  ${difference}`);
  }
}
if (tempRoot) rmSync(tempRoot, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
