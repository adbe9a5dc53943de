// The shared input readers: each accepts what action.yml documents and refuses everything else
// with an error naming the input, the value and what is allowed.

import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../shared/errors.js';
import { formatDuration, parseDuration } from '../../shared/inputs/duration.js';
import { InputReader } from '../../shared/inputs/reader.js';
import { inputsFromRecord } from '../../shared/inputs/source.js';

const workspace = mkdtempSync(path.join(os.tmpdir(), 'reader-ws-'));
const outside = mkdtempSync(path.join(os.tmpdir(), 'reader-out-'));
writeFileSync(path.join(workspace, 'model.onnx'), 'x');
mkdirSync(path.join(workspace, 'data'));
writeFileSync(path.join(outside, 'secret.txt'), 'x');
symlinkSync(path.join(outside, 'secret.txt'), path.join(workspace, 'escape.txt'));

function reader(inputs: Record<string, string>, env: Record<string, string> = {}) {
  return new InputReader(inputsFromRecord(inputs, { GITHUB_WORKSPACE: workspace, ...env }));
}

function errorOf(work: () => unknown): InputError {
  try {
    work();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['45', 45_000],
    ['1.5s', 1500],
    [' 10s ', 10_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'abc', '10d', '-5s', '5 minutes', '1e3', 's'])('%p is not a duration', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it.each([
    [850, '850ms'],
    [12_340, '12.3s'],
    [245_000, '4m 05s'],
    [3_720_000, '1h 02m'],
  ])('formats %d ms as %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('InputReader', () => {
  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['FALSE', false],
    ['', true],
  ])('boolean %p reads as %p (default true)', (value, expected) => {
    expect(reader({ flag: value }).boolean('flag', true)).toBe(expected);
  });

  it.each(['yes', '1', 'on', 'tru'])('boolean %p is refused with the allowed values', (value) => {
    const error = errorOf(() => reader({ flag: value }).boolean('flag', false));
    expect(error.message).toBe(`Input 'flag' has the value '${value}'; allowed values are 'true' and 'false'.`);
    expect(error.input).toBe('flag');
  });

  it('enumeration lists the allowed values', () => {
    const error = errorOf(() => reader({ target: 'gke' }).enumeration('target', ['aci', 'aks'] as const, 'aci'));
    expect(error.message).toBe("Input 'target' has the value 'gke'; allowed values are 'aci', 'aks'.");
  });

  it.each([
    ['5', 5],
    ['+7', 7],
    ['', 3],
  ])('integer %p reads as %p', (value, expected) => {
    expect(reader({ n: value }).integer('n', { min: 1, max: 10 }, 3)).toBe(expected);
  });

  it.each(['0', '11', '2.5', 'five', '99999999999999999999', '-1'])('integer %p out of 1..10 is refused', (value) => {
    expect(errorOf(() => reader({ n: value }).integer('n', { min: 1, max: 10 }, 3)).message).toMatch(
      /Input 'n' .* whole number from 1 to 10/,
    );
  });

  it.each(['0.5', '1', '.25'])('number %p in range is read', (value) => {
    expect(reader({ r: value }).number('r', { min: 0, max: 1 })).toBe(Number(value));
  });

  it.each(['1.5', 'NaN', 'Infinity', '1e-3x', ''])('number %p is refused or absent', (value) => {
    const read = () => reader({ r: value }).number('r', { min: 0, max: 1 });
    if (value === '') expect(read()).toBeUndefined();
    else expect(errorOf(read).message).toMatch(/Input 'r' .* number from 0 to 1/);
  });

  it('duration applies the default and the range', () => {
    expect(reader({}).duration('timeout', { minMs: 1000, maxMs: 60_000 }, '30s')).toBe(30_000);
    expect(
      errorOf(() => reader({ timeout: '2h' }).duration('timeout', { minMs: 1000, maxMs: 60_000 }, '30s')).message,
    ).toBe(
      "Input 'timeout' has the value '2h'; it must be a duration such as '500ms', '30s', '15m', '2h' or a number of seconds, from 1s to 1m.",
    );
  });

  it.each([
    ['a=1\nb = two\n# comment\n\n', { a: '1', b: 'two' }],
    ['{"a": 1, "b": true}', { a: '1', b: 'true' }],
    ['url=https://x/?q=1', { url: 'https://x/?q=1' }],
    ['', {}],
  ])('key=value map %p', (value, expected) => {
    expect(reader({ tags: value }).keyValueMap('tags')).toEqual(expected);
  });

  it.each([
    ['novalue', /each line must be 'key=value'/],
    ['=x', /each line must be 'key=value'/],
    ['a=1\na=2', /each key may appear only once/],
    ['{"a": ', /looks like JSON but does not parse/],
    ['{"a": {"b": 1}}', /values must be strings, numbers or booleans/],
  ])('key=value map %p is refused', (value, message) => {
    expect(errorOf(() => reader({ tags: value }).keyValueMap('tags')).message).toMatch(message);
  });

  it('required strings name the environment fallback', () => {
    expect(errorOf(() => reader({}).requiredString('workspace', { env: 'AZUREML_WORKSPACE' })).message).toBe(
      "Input 'workspace' is empty; it is required: set it (or the environment variable AZUREML_WORKSPACE).",
    );
    expect(
      reader({}, { AZUREML_WORKSPACE: 'from-env' }).requiredString('workspace', { env: 'AZUREML_WORKSPACE' }),
    ).toBe('from-env');
    expect(
      reader({ workspace: 'input' }, { AZUREML_WORKSPACE: 'env' }).requiredString('workspace', {
        env: 'AZUREML_WORKSPACE',
      }),
    ).toBe('input');
  });

  it('prefixes every input name it reads and reports', () => {
    const parent = reader({ 'smoke-test-requests': '0' });
    const child = parent.withPrefix('smoke-test-');
    expect(errorOf(() => child.integer('requests', { min: 1, max: 5 })).input).toBe('smoke-test-requests');
    expect([...parent.namesRead]).toEqual(['smoke-test-requests']);
  });

  it('passes secrets to the mask callback the moment they are read, and never into errors', () => {
    const masked: string[] = [];
    const secretReader = new InputReader(inputsFromRecord({ key: 'hunter2' }), '', (secret) => masked.push(secret));
    expect(secretReader.secretString('key')).toBe('hunter2');
    expect(masked).toEqual(['hunter2']);
  });

  it('quotes values on one line and defuses workflow commands in error messages', () => {
    const error = errorOf(() =>
      reader({ target: 'x\n::set-output name=a::b' }).enumeration('target', ['aci'] as const, 'aci'),
    );
    expect(error.message).not.toContain('\n');
    expect(error.message).not.toContain('::set-output');
  });

  describe('paths', () => {
    it.each([
      ['model.onnx', path.join(workspace, 'model.onnx')],
      ['./data', path.join(workspace, 'data')],
      [path.join(workspace, 'model.onnx'), path.join(workspace, 'model.onnx')],
    ])('%p resolves inside the workspace', (value, expected) => {
      expect(reader({ path: value }).path('path')).toBe(expected);
    });

    it.each([
      ['../outside.txt', /must be a path inside the workspace/],
      ['/etc/passwd', /must be a path inside the workspace/],
      ['escape.txt', /resolves through a symbolic link/],
      ['missing.onnx', /nothing exists at/],
      ['a\0b', /without NUL/],
    ])('%p is refused', (value, message) => {
      expect(errorOf(() => reader({ path: value }).path('path')).message).toMatch(message);
    });

    it('checks the kind of what is there', () => {
      expect(errorOf(() => reader({ path: 'data' }).path('path', { kind: 'file' })).message).toMatch(/must be a file/);
      expect(errorOf(() => reader({ path: 'model.onnx' }).path('path', { kind: 'directory' })).message).toMatch(
        /must be a folder/,
      );
    });

    it('accepts RUNNER_TEMP as a second root (outputs of earlier steps)', () => {
      expect(reader({ path: path.join(outside, 'secret.txt') }, { RUNNER_TEMP: outside }).path('path')).toBe(
        path.join(outside, 'secret.txt'),
      );
    });
  });
});
