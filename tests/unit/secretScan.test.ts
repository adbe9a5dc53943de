// The secrets scan (emulator/secretScan.ts) that every run of a built action goes through
// (tests/harness/runAction.ts): planted secrets are found in every form a log, a file or a URL may
// carry them, hits never repeat the secret, and ordinary text is not taken for one.

import { describe, expect, it } from '@jest/globals';
import { createHmac, randomBytes } from 'node:crypto';
import { describeHits, encodedForms, SecretScanner } from '../../emulator/secretScan.js';
import { visibleParts, type ActionRun } from '../harness/runAction.js';

const clientSecret = 'planted~client/secret+value=7Q';
const endpointKey = randomBytes(24).toString('base64').replace(/[+/=]/g, '').slice(0, 32);
const header = Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url');
const payload = Buffer.from(JSON.stringify({ aud: 'https://management.azure.com/', oid: 'x' })).toString('base64url');
const accessToken = `${header}.${payload}.${randomBytes(64).toString('base64url')}`;

const scanner = new SecretScanner([
  { id: 1, kind: 'client secret', value: clientSecret },
  { id: 2, kind: 'endpoint key', value: endpointKey },
  { id: 3, kind: 'Entra access token', value: accessToken },
  { id: 4, kind: 'too short to scan', value: 'abc' },
  { id: 5, kind: 'a "quoted" secret', value: 'quoted"endpoint\\key' },
]);

describe('planted secrets are found in every form', () => {
  const cases: Array<[string, string, string]> = [
    ['as is, mid-line', `calling with key ${endpointKey} now`, 'endpoint key #2 (as is)'],
    ['in a JSON report file', JSON.stringify({ secret: clientSecret }), 'client secret #1 (as is)'],
    ['JSON-escaped', JSON.stringify({ secret: 'quoted"endpoint\\key' }), 'a "quoted" secret #5 (JSON-escaped)'],
    [
      'URL-encoded in a query string',
      `https://x/?s=${encodeURIComponent(clientSecret)}`,
      'client secret #1 (URL-encoded)',
    ],
    ['form-encoded in a body', new URLSearchParams({ client_secret: clientSecret }).toString(), 'client secret #1'],
    ['base64 at offset 0', Buffer.from(clientSecret).toString('base64'), 'client secret #1 (base64)'],
    [
      'base64 inside a Basic auth header (another alignment)',
      `Authorization: Basic ${Buffer.from(`app-id:${clientSecret}`).toString('base64')}`,
      'client secret #1 (base64)',
    ],
    ['base64url at offset 2', Buffer.from(`ab${endpointKey}zz`).toString('base64url'), 'endpoint key #2 (base64'],
    ['an issued JWT, named by its kind', `Bearer ${accessToken}`, 'Entra access token #3 (as is)'],
  ];
  it.each(cases)('%s', (_name, text, expected) => {
    const hits = scanner.find('log', `line one\n${text}\n`);
    expect(describeHits(hits)).toContain(expected);
    expect(describeHits(hits)).toContain('in log, line 2');
  });

  it('a JWT the emulator never issued is caught by its shape', () => {
    const foreign = `${header}.${payload}.${randomBytes(40).toString('base64url')}`;
    expect(describeHits(scanner.find('summary', foreign))).toBe('- a JWT-shaped string (as is) in summary, line 1');
  });

  it('a SAS signature is caught by its shape (the emulator cannot list SAS signed on the runner)', () => {
    const sig = createHmac('sha256', 'k').update('x').digest('base64');
    const url = `https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2026-12-01&sp=r&sig=${encodeURIComponent(sig)}`;
    expect(describeHits(scanner.find('output model-uri', url))).toContain('a SAS signature (sig=)');
  });

  it('hits name kind, form and place but never repeat the secret', () => {
    const text = [clientSecret, endpointKey, accessToken, Buffer.from(clientSecret).toString('base64')].join('\n');
    const message = describeHits(scanner.find('log', text));
    expect(message.split('\n')).toHaveLength(4);
    for (const form of [...encodedForms(clientSecret).map(([, text]) => text), endpointKey, accessToken]) {
      expect(message).not.toContain(form);
    }
  });
});

describe('no false alarms', () => {
  it.each([
    ['ordinary log lines', 'Registered model silero-vad:3 (azureml:silero-vad:3) in 1.2 s\nabc abc abc'],
    ['a secret cut short', endpointKey.slice(0, 7)],
    ['a masked value', 'key=***'],
    ['a JWT-like word without three parts', 'eyJhbGciOiJSUzI1NiJ9 only'],
  ])('%s', (_name, text) => {
    expect(scanner.find('log', text)).toEqual([]);
  });

  it('values shorter than 8 characters are not scanned', () => {
    expect(scanner.size).toBe(4);
    expect(scanner.find('log', 'abc')).toEqual([]);
  });
});

describe('what the harness scans of a run', () => {
  const run = {
    stdout: `::add-mask::${endpointKey}\nnormal line\n::error::failed%0Asecond line\n`,
    stderr: 'warning on stderr',
    outputs: { key: endpointKey, 'scoring-uri': 'https://x/score' },
    state: { pid: '42' },
    exportedEnv: {},
    summary: '### done',
    annotations: [{ level: 'error', message: 'failed\nsecond line', properties: {} }],
    masked: [endpointKey],
  } as unknown as ActionRun;

  it('leaves out the ::add-mask:: lines (the runner consumes them) and outputs the run masked (expose-key)', () => {
    expect(
      scanner.find(
        'x',
        visibleParts(run)
          .map((part) => part.text)
          .join('\n'),
      ),
    ).toEqual([]);
  });

  it('scans an output the run did not mask, and names it', () => {
    const leaky = { ...run, outputs: { ...run.outputs, token: accessToken } } as ActionRun;
    const hits = visibleParts(leaky).flatMap((part) => scanner.find(part.where, part.text));
    expect(describeHits(hits)).toBe('- Entra access token #3 (as is) in output token, line 1');
  });

  it('keeps the log, annotations, state, exported variables and summary as parts', () => {
    expect(visibleParts(run).map((part) => part.where)).toEqual([
      'log (stdout)',
      'log (stderr)',
      'error annotation',
      'output scoring-uri',
      'state pid',
      'step summary',
    ]);
  });
});

describe('the scan reads the log as the runner does', () => {
  const scan = (stdout: string) =>
    visibleParts({
      ...({} as ActionRun),
      stdout,
      stderr: '',
      annotations: [],
      outputs: {},
      masked: [],
      state: {},
      exportedEnv: {},
      summary: '',
    })
      .flatMap((part) => scanner.find(part.where, part.text))
      .map((hit) => hit.secret);

  it.each([
    ['a processed add-mask line', `::add-mask::${endpointKey}\n`, []],
    [
      'an add-mask line after a forged stop-commands',
      `::stop-commands::abc123\n::add-mask::${endpointKey}\n`,
      ['endpoint key #2'],
    ],
    [
      'a forged stop-commands split off by a lone \\r',
      `progress 10%\r  ::stop-commands::t\n::add-mask::${endpointKey}\n`,
      ['endpoint key #2'],
    ],
    ['the legacy form, mid-line', `text ##[stop-commands]t\n::add-mask::${endpointKey}\n`, ['endpoint key #2']],
    ['commands resumed with the token', `::stop-commands::t\n::t::\n::add-mask::${endpointKey}\n`, []],
  ])('%s', (_name, stdout, kinds) => {
    expect(scan(stdout)).toEqual(kinds);
  });
});
