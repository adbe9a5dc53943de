/**
 * @jest-environment ./tests/scoring/native-arrays-environment.js
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { loadModel } from '../../shared/scoring/index.js';
import type { InferenceModel, Tensor } from '../../shared/scoring/index.js';
import { SILERO_PATH, speechLikeFrame } from './fixtures.js';

let web: InferenceModel;
let native: InferenceModel;

beforeAll(async () => {
  web = await loadModel(SILERO_PATH, { backend: 'onnxruntime-web' });
  native = await loadModel(SILERO_PATH, { backend: 'onnxruntime-node' });
});
afterAll(async () => {
  await web?.close();
  await native?.close();
});

describe('inference backends', () => {
  test('describe silero_vad inputs and outputs with names, element types and shapes', () => {
    for (const model of [web, native]) {
      expect(model.inputs).toEqual([
        { name: 'input', type: 'float32', shape: ['batch', 'sequence'] },
        { name: 'sr', type: 'int64', shape: [] },
        { name: 'h', type: 'float32', shape: [2, 'batch', 64] },
        { name: 'c', type: 'float32', shape: [2, 'batch', 64] },
      ]);
      expect(model.outputs.map((info) => [info.name, info.type])).toEqual([
        ['output', 'float32'],
        ['hn', 'float32'],
        ['cn', 'float32'],
      ]);
    }
    expect(web.backend).toBe('onnxruntime-web');
    expect(native.backend).toBe('onnxruntime-node');
  });

  test('silero_vad gives the same outputs on both backends to 4 decimals, over a stream of frames', async () => {
    let webState: { h: Float32Array; c: Float32Array } = { h: new Float32Array(128), c: new Float32Array(128) };
    let nativeState: { h: Float32Array; c: Float32Array } = { h: new Float32Array(128), c: new Float32Array(128) };
    const probabilities: number[] = [];
    for (let frame = 0; frame < 20; frame++) {
      const input: Tensor = { type: 'float32', dims: [1, 512], data: Float32Array.from(speechLikeFrame(3, frame)) };
      const sr: Tensor = { type: 'int64', dims: [], data: BigInt64Array.from([16000n]) };
      const state = (values: Float32Array): Tensor => ({ type: 'float32', dims: [2, 1, 64], data: values });
      const a = await web.run({ input, sr, h: state(webState.h), c: state(webState.c) });
      const b = await native.run({ input, sr, h: state(nativeState.h), c: state(nativeState.c) });
      expect(a.output?.dims).toEqual([1, 1]);
      expect(b.hn?.dims).toEqual([2, 1, 64]);
      const pa = (a.output?.data as Float32Array)[0] as number;
      const pb = (b.output?.data as Float32Array)[0] as number;
      expect(pa).toBeCloseTo(pb, 4);
      const hnA = a.hn?.data as Float32Array;
      const hnB = b.hn?.data as Float32Array;
      for (let i = 0; i < hnA.length; i++) expect(hnA[i]).toBeCloseTo(hnB[i] as number, 4);
      probabilities.push(pa);
      webState = { h: hnA, c: a.cn?.data as Float32Array };
      nativeState = { h: hnB, c: b.cn?.data as Float32Array };
    }
    // The state carries over: the same frame scores differently once the model has heard others.
    expect(new Set(probabilities.map((p) => p.toFixed(6))).size).toBeGreaterThan(1);
  });

  test('loads a model from bytes as well as from a path', async () => {
    const { readFile } = await import('node:fs/promises');
    const fromBytes = await loadModel(new Uint8Array(await readFile(SILERO_PATH)), { warmUpRuns: 0 });
    try {
      expect(fromBytes.inputs.map((info) => info.name)).toEqual(['input', 'sr', 'h', 'c']);
    } finally {
      await fromBytes.close();
    }
  });

  test('a worker-thread onnxruntime-web session gives the same outputs as the main thread, and reports model errors', async () => {
    const inWorker = await loadModel(SILERO_PATH, { backend: 'onnxruntime-web', worker: true, warmUpRuns: 0 });
    try {
      expect(inWorker.inputs).toEqual(web.inputs);
      const feeds = (frame: number[]): Record<string, Tensor> => ({
        input: { type: 'float32', dims: [1, 512], data: Float32Array.from(frame) },
        sr: { type: 'int64', dims: [], data: BigInt64Array.from([16000n]) },
        h: { type: 'float32', dims: [2, 1, 64], data: new Float32Array(128) },
        c: { type: 'float32', dims: [2, 1, 64], data: new Float32Array(128) },
      });
      const frames = [1, 2, 3, 4].map((seed) => speechLikeFrame(seed));
      // Concurrent runs: each answer must come back to its own caller.
      const fromWorker = await Promise.all(frames.map((frame) => inWorker.run(feeds(frame))));
      for (const [index, frame] of frames.entries()) {
        const direct = await web.run(feeds(frame));
        expect(Array.from(fromWorker[index]?.hn?.data as Float32Array)).toEqual(
          Array.from(direct.hn?.data as Float32Array),
        );
      }
      const tooShort = {
        ...feeds(frames[0] as number[]),
        input: { type: 'float32' as const, dims: [1, 3], data: new Float32Array(3) },
      };
      await expect(inWorker.run(tooShort)).rejects.toThrow(/Pad/);
    } finally {
      await inWorker.close();
    }
    await expect(inWorker.run({})).rejects.toThrow(/closed/);
  });
});
