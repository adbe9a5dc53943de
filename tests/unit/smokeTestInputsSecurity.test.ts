// The smoke-test sub-action's inputs keep credentials safe (issue 32): a key or header never goes
// over plain http to another machine unless allow-insecure-http says so, and header values (often
// API keys) are masked the moment they are read.

import { describe, expect, it } from '@jest/globals';
import { readSmokeTestInputs } from '../../action-deploy/smoke-test/src/inputs.js';
import { InputReader } from '../../shared/inputs/reader.js';
import { inputsFromRecord } from '../../shared/inputs/source.js';

function read(inputs: Record<string, string>): { masked: string[]; error: string | undefined } {
  const masked: string[] = [];
  const reader = new InputReader(inputsFromRecord({ payload: '{"x":1}', ...inputs }), '', (s) => masked.push(s));
  try {
    readSmokeTestInputs(reader);
    return { masked, error: undefined };
  } catch (error) {
    return { masked, error: (error as Error).message };
  }
}

describe('scoring-uri over http', () => {
  it.each([
    ['https anywhere', 'https://scoring.example/score', {}, undefined],
    ['http to 127.0.0.1', 'http://127.0.0.1:5001/score', {}, undefined],
    ['http to 127.x.y.z', 'http://127.1.2.3:5001/score', {}, undefined],
    ['http to localhost', 'http://localhost:5001/score', {}, undefined],
    ['http to [::1]', 'http://[::1]:5001/score', {}, undefined],
    ['http to another host', 'http://scoring.example/score', {}, /it is http:\/\/ to a host other than this machine/],
    ['http to a private address', 'http://10.0.0.4/score', {}, /allow-insecure-http: true/],
    ['http to a look-alike of localhost', 'http://localhost.attacker.example/s', {}, /travel in clear/],
    ['http to another host, allowed', 'http://10.0.0.4/score', { 'allow-insecure-http': 'true' }, undefined],
  ])('%s', (_name, uri, extra: Record<string, string>, error) => {
    const result = read({ 'scoring-uri': uri, key: 'k3y-value', ...extra });
    if (error) expect(result.error).toMatch(error);
    else expect(result.error).toBeUndefined();
    if (error) expect(result.error).toMatch(/^Input 'scoring-uri' /);
  });
});

it('masks every header value as it is read', () => {
  const { masked } = read({
    'scoring-uri': 'https://scoring.example/score',
    headers: 'x-api-key=abc123secret\nx-trace=trace-7',
  });
  expect(masked).toEqual(expect.arrayContaining(['abc123secret', 'trace-7']));
});
