// Loading cases: inline JSON, one file, a folder of *.json with NAME.expect.json files, and the
// errors that name the file and what is wrong.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../shared/errors.js';
import { loadCases, parseExpectationFile, payloadSourceOf } from '../../shared/smoke/index.js';

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'smoke-cases-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function folder(name: string, files: Record<string, string>): Promise<string> {
  const root = path.join(workDir, name);
  await mkdir(root, { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(path.join(root, file), content);
  return root;
}

describe('loadCases', () => {
  it('sends an inline value as JSON and inline text as written', async () => {
    expect(await loadCases({ kind: 'inline', json: { a: [1, 2] } })).toEqual([
      { name: 'inline', body: '{"a":[1,2]}', source: 'inline' },
    ]);
    expect(await loadCases({ kind: 'inline-text', text: '{ "a": 1 }' })).toEqual([
      { name: 'inline', body: '{ "a": 1 }', source: 'inline' },
    ]);
  });

  it('reads a folder: *.json sorted by name, NAME.expect.json applied to its case, other files ignored', async () => {
    const root = await folder('cases', {
      'speech.json': '{"x":2}',
      'silence.json': '\ufeff{"x":1}',
      'silence.expect.json': JSON.stringify({ status: [200, 201], json: ['$.p < 0.5', '# comment'], body: '/ok/i' }),
      'notes.txt': 'not a case',
    });
    const cases = await loadCases({ kind: 'directory', path: root });
    expect(cases.map((c) => [c.name, c.body, c.source])).toEqual([
      ['silence', '{"x":1}', path.join(root, 'silence.json')],
      ['speech', '{"x":2}', path.join(root, 'speech.json')],
    ]);
    expect(cases[0]?.expect).toEqual({
      status: [200, 201],
      json: [{ line: '$.p < 0.5', path: '$.p', operator: '<', expected: 0.5 }],
      body: /ok/i,
    });
    expect(cases[1]?.expect).toBeUndefined();
  });

  it('applies NAME.expect.json next to a single payload file too', async () => {
    const root = await folder('single', { 'payload.json': '[1]', 'payload.expect.json': '{"status":202}' });
    const cases = await loadCases({ kind: 'file', path: path.join(root, 'payload.json') });
    expect(cases).toEqual([
      { name: 'payload', body: '[1]', source: path.join(root, 'payload.json'), expect: { status: [202] } },
    ]);
  });

  it.each([
    ['an empty folder', {}, 'has no *.json case files'],
    [
      'an expectation file without its case',
      { 'a.json': '{}', 'b.expect.json': '{}' },
      'b.expect.json has no case b.json next to it',
    ],
    ['a case that is not JSON', { 'a.json': '{"x":' }, 'a.json is not valid JSON'],
    ['an expectation file that is not an object', { 'a.json': '{}', 'a.expect.json': '[]' }, 'must hold an object'],
    ['an unknown expectation field', { 'a.json': '{}', 'a.expect.json': '{"stauts":200}' }, 'unknown field(s) stauts'],
    ['a bad status', { 'a.json': '{}', 'a.expect.json': '{"status":"ok"}' }, '"status" must be an HTTP status'],
    [
      'a bad json line',
      { 'a.json': '{}', 'a.expect.json': '{"json":["$.a < 1", "$.b >> 2"]}' },
      `a.expect.json "json" line 2 ($.b >> 2): '>>' is not an operator`,
    ],
    ['a bad body regex', { 'a.json': '{}', 'a.expect.json': '{"body":"(x"}' }, '"body":'],
  ])('refuses %s, naming the file', async (name, files, message) => {
    const root = await folder(`bad-${name.replace(/\W+/g, '-')}`, files);
    const loading = loadCases({ kind: 'directory', path: root });
    await expect(loading).rejects.toBeInstanceOf(UserError);
    await expect(loadCases({ kind: 'directory', path: root })).rejects.toThrow(message);
  });

  it.each([
    ['an expectation file next to a single payload file', 'file'],
    ['an expectation file in a payload folder', 'directory'],
    ['a case file in a payload folder', 'case'],
  ] as const)('refuses %s that links out of the folder', async (_name, mode) => {
    const outside = await folder(`outside-${mode}`, { 'x.json': '{"status": 200}' });
    const dir = await folder(`linked-${mode}`, { 'a.json': '{"x": 1}' });
    await symlink(path.join(outside, 'x.json'), path.join(dir, mode === 'case' ? 'b.json' : 'a.expect.json'));
    const source =
      mode === 'file'
        ? { kind: 'file' as const, path: path.join(dir, 'a.json') }
        : { kind: 'directory' as const, path: dir };
    await expect(loadCases(source)).rejects.toThrow(/is a symbolic link out of the payload's folder/);
  });

  it('follows a link that stays inside the folder', async () => {
    const dir = await folder('linked-inside', { 'a.json': '{"x": 1}', 'shared.expect': '{"status": 201}' });
    await symlink(path.join(dir, 'shared.expect'), path.join(dir, 'a.expect.json'));
    const [only] = await loadCases({ kind: 'file', path: path.join(dir, 'a.json') });
    expect(only?.expect?.status).toEqual([201]);
  });

  it('refuses inline text that does not parse', async () => {
    await expect(loadCases({ kind: 'inline-text', text: '{"a":' })).rejects.toThrow(
      'The inline payload is not valid JSON',
    );
  });
});

describe('payloadSourceOf', () => {
  it('tells inline JSON, a file and a folder apart', async () => {
    const root = await folder('detect', { 'p.json': '{}' });
    expect(await payloadSourceOf(' {"a":1}', '/unused')).toEqual({ kind: 'inline-text', text: '{"a":1}' });
    expect(await payloadSourceOf('[1]', '/unused')).toEqual({ kind: 'inline-text', text: '[1]' });
    expect(await payloadSourceOf('p.json', path.join(root, 'p.json'))).toEqual({
      kind: 'file',
      path: path.join(root, 'p.json'),
    });
    expect(await payloadSourceOf('detect', root)).toEqual({ kind: 'directory', path: root });
    await expect(payloadSourceOf('nope.json', path.join(root, 'nope.json'))).rejects.toThrow('does not exist');
  });
});

describe('parseExpectationFile', () => {
  it('accepts json as one multi-line string', () => {
    const expect_ = parseExpectationFile('{"json":"$.a exists\\n$.b == 2"}', 'x.expect.json');
    expect(expect_.json?.map((a) => a.operator)).toEqual(['exists', '==']);
  });
});
