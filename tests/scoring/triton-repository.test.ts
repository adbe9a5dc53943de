import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTritonModel } from '../../shared/scoring/index.js';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'triton-repo-'));
  for (const version of ['1', '2', '10']) {
    mkdirSync(join(root, 'one', 'vad', version), { recursive: true });
    writeFileSync(join(root, 'one', 'vad', version, 'model.onnx'), 'onnx');
  }
  mkdirSync(join(root, 'one', 'vad', '11'), { recursive: true }); // no model.onnx: not a version
  writeFileSync(join(root, 'one', 'vad', 'config.pbtxt'), 'name: "vad"');
  for (const name of ['a', 'b']) {
    mkdirSync(join(root, 'two', name, '1'), { recursive: true });
    writeFileSync(join(root, 'two', name, '1', 'model.onnx'), 'onnx');
  }
  mkdirSync(join(root, 'empty'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Triton repository layout', () => {
  test('a repository root with one model: its name and highest numeric version holding model.onnx', async () => {
    expect(await findTritonModel(join(root, 'one'))).toEqual({
      name: 'vad',
      version: '10',
      onnxPath: join(root, 'one', 'vad', '10', 'model.onnx'),
    });
  });

  test('a model folder itself', async () => {
    expect(await findTritonModel(join(root, 'one', 'vad'))).toMatchObject({ name: 'vad', version: '10' });
  });

  test('several models or none are errors that say what layout is expected', async () => {
    await expect(findTritonModel(join(root, 'two'))).rejects.toThrow(
      /one ONNX model: expected <model name>\/<version>\/model.onnx \(found a, b\)/,
    );
    await expect(findTritonModel(join(root, 'empty'))).rejects.toThrow(/\(found none\)/);
  });
});
