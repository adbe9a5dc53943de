// Loads onnxruntime-web's Node build at run time, from files copied next to the running bundle,
// so ncc never bundles it (it cannot carry the WASM loader) and no native binary ships in dist/.

import { existsSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { OrtModuleLike } from './inference.js';

/**
 * The files an action's build must copy from `node_modules/onnxruntime-web/dist/` into
 * `<action>/dist/ort/` (next to the bundle's index.js): the WASM-only ESM entry, the Emscripten
 * loader it imports from its own folder, and the SIMD WASM runtime (~14 MB).
 *
 * The entry is `ort.wasm.min.mjs`, not `ort.node.min.mjs`: the Node build imports the bare
 * package `onnxruntime-common`, which resolves only where a node_modules folder is above it (true
 * in this repository, false in an action checkout on a runner, and .gitignore keeps node_modules
 * out of dist/). The WASM build has onnxruntime-common inlined and runs in Node as well, with the
 * same outputs (checked on silero_vad).
 */
export const ORT_WEB_DIST_FILES: readonly string[] = [
  'ort.wasm.min.mjs',
  'ort-wasm-simd-threaded.mjs',
  'ort-wasm-simd-threaded.wasm',
];

/** The folder, relative to the running bundle's directory, that holds ORT_WEB_DIST_FILES. */
export const ORT_WEB_BUNDLE_FOLDER = 'ort';

const ENTRY_FILE = 'ort.wasm.min.mjs';

/**
 * Where onnxruntime-web is looked for, first match wins: `<dir of this code>/ort/` (an action
 * bundle), then `node_modules/onnxruntime-web/dist/` in this folder or any parent (running from
 * source: tests, the emulator, bench). The parent walk uses computed paths, which ncc's asset
 * relocator cannot resolve at build time, so nothing from node_modules is pulled into a bundle.
 */
export function ortWebCandidateDirectories(codeDirectory: string = moduleDirectory()): string[] {
  const candidates = [join(codeDirectory, ORT_WEB_BUNDLE_FOLDER)];
  const packagePath = ['node_modules', 'onnxruntime-web', 'dist'];
  const { root } = parse(codeDirectory);
  for (let directory = codeDirectory; ; directory = dirname(directory)) {
    candidates.push(join(directory, ...packagePath));
    if (directory === root) break;
  }
  return candidates;
}

/** The folder holding onnxruntime-web's files: `directory` if given, else the first candidate that has them. */
export function findOrtWebDirectory(directory?: string): string {
  const found = directory ?? ortWebCandidateDirectories().find((candidate) => existsSync(join(candidate, ENTRY_FILE)));
  if (found === undefined || !existsSync(join(found, ENTRY_FILE))) {
    throw new Error(
      `onnxruntime-web was not found: looked for ${ENTRY_FILE} in ${directory ?? ortWebCandidateDirectories().join(', ')}. ` +
        `An action bundle must carry ${ORT_WEB_DIST_FILES.join(', ')} in dist/${ORT_WEB_BUNDLE_FOLDER}/.`,
    );
  }
  return found;
}

/** The `file:` URL of onnxruntime-web's entry module in `directory`. */
export function ortWebEntryUrl(directory: string): string {
  return pathToFileURL(join(directory, ENTRY_FILE)).href;
}

function moduleDirectory(): string {
  return dirname(fileURLToPath(import.meta.url));
}

let loaded: { directory: string; module: Promise<OrtModuleLike> } | undefined;

/**
 * Imports onnxruntime-web once per process and sets it to one WASM thread (more threads were
 * slower for small models here, and need worker files the bundle does not carry).
 */
export async function loadOrtWeb(directory?: string): Promise<OrtModuleLike> {
  const found = findOrtWebDirectory(directory);
  if (loaded !== undefined) {
    if (loaded.directory !== found) {
      throw new Error(`onnxruntime-web is already loaded from ${loaded.directory}; cannot load it again from ${found}`);
    }
    return loaded.module;
  }
  const entryUrl = ortWebEntryUrl(found);
  const module = (async () => {
    const imported = (await import(/* webpackIgnore: true */ entryUrl)) as OrtModuleLike & {
      env: { logLevel?: string; wasm: { numThreads?: number; proxy?: boolean } };
    };
    // Failed runs reach the caller as exceptions; ORT's own coloured stderr lines would repeat them.
    imported.env.logLevel = 'fatal';
    imported.env.wasm.numThreads = 1;
    imported.env.wasm.proxy = false;
    return imported;
  })();
  loaded = { directory: found, module };
  void module.catch(() => {
    loaded = undefined;
  });
  return module;
}
