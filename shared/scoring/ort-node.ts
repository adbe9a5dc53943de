// Loads the native onnxruntime-node for test equipment (the emulator, benchmarks). The import is
// computed so ncc never follows it: action bundles that never call this carry no native binaries.

import type { OrtModuleLike } from './inference.js';

const PACKAGE_NAME = 'onnxruntime-node';

let loaded: Promise<OrtModuleLike> | undefined;

export async function loadOrtNode(): Promise<OrtModuleLike> {
  loaded ??= (async () => {
    const imported = (await import(/* webpackIgnore: true */ PACKAGE_NAME)) as Partial<OrtModuleLike> & {
      default?: OrtModuleLike;
    };
    // onnxruntime-node is CommonJS: its exports arrive as named exports or under `default`.
    const ort = (imported.InferenceSession !== undefined ? imported : imported.default) as OrtModuleLike & {
      env: { logLevel?: string };
    };
    // Failed runs reach the caller as exceptions; ORT's own coloured stderr lines would repeat them.
    ort.env.logLevel = 'fatal';
    return ort;
  })();
  void loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}
