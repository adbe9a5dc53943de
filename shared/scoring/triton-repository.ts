// Finds the ONNX file, model name and version in a Triton model repository (what a triton_model
// asset holds), so the local target and the emulator serve it under the names Azure would use.

import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';

export interface TritonModelLocation {
  /** The model folder's name: the `{name}` in `/v2/models/{name}/infer`. */
  readonly name: string;
  /** The highest numeric version folder. */
  readonly version: string;
  /** `<repository>/<name>/<version>/model.onnx` */
  readonly onnxPath: string;
}

/**
 * Accepts the repository root (`models/` holding one model folder), or a model folder itself
 * (`models/vad/` holding `1/model.onnx`). Anything else is an error saying which layout is expected.
 */
export async function findTritonModel(path: string): Promise<TritonModelLocation> {
  const inModelFolder = await versionIn(path);
  if (inModelFolder !== undefined) {
    return { name: basename(path), version: inModelFolder, onnxPath: join(path, inModelFolder, 'model.onnx') };
  }
  const models: TritonModelLocation[] = [];
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const version = await versionIn(join(path, entry.name));
    if (version !== undefined) {
      models.push({ name: entry.name, version, onnxPath: join(path, entry.name, version, 'model.onnx') });
    }
  }
  const [only, ...others] = models;
  if (only === undefined || others.length > 0) {
    throw new Error(
      `${path} is not a Triton repository with one ONNX model: expected <model name>/<version>/model.onnx ` +
        (only === undefined ? '(found none)' : `(found ${models.map((model) => model.name).join(', ')})`),
    );
  }
  return only;
}

/** The highest numeric subfolder of `folder` that holds a model.onnx. */
async function versionIn(folder: string): Promise<string | undefined> {
  let best: number | undefined;
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (!entry.isDirectory() || !/^\d+$/.test(entry.name)) continue;
    const onnx = await stat(join(folder, entry.name, 'model.onnx')).catch(() => undefined);
    if (onnx?.isFile() && (best === undefined || Number(entry.name) > best)) best = Number(entry.name);
  }
  return best === undefined ? undefined : String(best);
}
