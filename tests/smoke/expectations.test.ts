// The expect-json line parser (what it accepts, and the line and reason when it does not) and the
// checks of status, JSON assertions and body regex against one response.

import { describe, expect, it } from '@jest/globals';
import { UserError } from '../../shared/errors.js';
import {
  checkJsonAssertion,
  checkResponse,
  jsonEqual,
  parseJsonAssertion,
  parseJsonAssertions,
  parseRegex,
} from '../../shared/smoke/index.js';
import type { Expectations } from '../../shared/smoke/index.js';

describe('parseJsonAssertion', () => {
  it.each([
    ['$.outputs.output[0][0] < 0.5', '$.outputs.output[0][0]', '<', 0.5],
    ['$.label == "speech"', '$.label', '==', 'speech'],
    ['$.label == speech', '$.label', '==', 'speech'],
    ['$.ok == true', '$.ok', '==', true],
    ['$.shape == [1, 2]', '$.shape', '==', [1, 2]],
    ['$.error != null', '$.error', '!=', null],
    ['$.count >= 3', '$.count', '>=', 3],
    ['$.count <= -1e3', '$.count', '<=', -1000],
    ['$.count > 0', '$.count', '>', 0],
    ['$.id exists', '$.id', 'exists', undefined],
    ["$['odd key'] == 1", "$['odd key']", '==', 1],
    ['$.items[?(@.score > 0.5)].name == "a"', '$.items[?(@.score > 0.5)].name', '==', 'a'],
    ['$.note == a == b', '$.note', '==', 'a == b'],
  ])('%s', (line, path, operator, expected) => {
    expect(parseJsonAssertion(line)).toEqual({ line, path, operator, expected });
  });

  it('reads ~= values as /regex/flags or a bare pattern', () => {
    expect(parseJsonAssertion('$.label ~= /^SP/i').expected).toEqual(/^SP/i);
    expect(parseJsonAssertion('$.label ~= ^sp(ee)?ch$').expected).toEqual(/^sp(ee)?ch$/);
    // g would make RegExp.test stateful across responses.
    expect(parseJsonAssertion('$.label ~= /a/g').expected).toEqual(/a/);
  });

  it.each([
    ['output[0] < 1', "must start with '$'"],
    ['$.output[0]<1', "put spaces around the operator '<'"],
    ['$.output[0] 1', "'1' is not an operator"],
    ['$.output[0] =< 1', "'=<' is not an operator"],
    ['$.output[0] < ', "'<' needs a value"],
    ['$.output[0] < high', "'<' compares numbers; 'high' is not a number"],
    ['$.x exists 3', "'exists' takes no value"],
    ['$.x ~= (unclosed', 'is not a valid regular expression'],
    ['$.output[0 == 1', "unclosed '['"],
    ['$.a b == 1', 'contains a space outside brackets'],
    ["$['x == 1", 'unclosed quote'],
  ])('refuses %s', (line, reason) => {
    expect(() => parseJsonAssertion(line)).toThrow(reason);
  });
});

describe('parseJsonAssertions', () => {
  it('skips blank and # lines and keeps the others in order', () => {
    const parsed = parseJsonAssertions('\n# the probability\n$.p >= 0\n\n$.p <= 1\n');
    expect(parsed.map((a) => a.line)).toEqual(['$.p >= 0', '$.p <= 1']);
  });

  it('names the input, the line number and the line when one is wrong', () => {
    let error: unknown;
    try {
      parseJsonAssertions(['$.p >= 0', '', '$.p =< 1'], 'smoke-test-expect-json');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).input).toBe('smoke-test-expect-json');
    expect((error as UserError).message).toBe(
      "'smoke-test-expect-json' line 3 ($.p =< 1): '=<' is not an operator; expected JSONPath OP value with OP one of == != < <= > >= ~= exists.",
    );
  });
});

describe('checkJsonAssertion', () => {
  const document = { outputs: { output: [[0.25], [0.75]] }, label: 'speech', n: '3', empty: [] };
  it.each([
    ['$.outputs.output[0][0] < 0.5', undefined],
    ['$.outputs.output[*][0] >= 0', undefined],
    ['$.outputs.output[*][0] < 0.5', '[0.25,0.75]'],
    ['$.label ~= ^spe', undefined],
    ['$.outputs ~= "output"', undefined],
    ['$.n > 2', '"3"'],
    ['$.missing == 1', 'no match'],
    ['$.missing exists', 'no match'],
    ['$.empty exists', undefined],
    ['$.empty == []', undefined],
    ['$.outputs == {"output": [[0.25], [0.75]]}', undefined],
    ['$.label != speech', '"speech"'],
  ])('%s → %s', (line, actual) => {
    expect(checkJsonAssertion(parseJsonAssertion(line), document)).toBe(actual);
  });

  it('fails (never runs) a filter script the safe evaluator refuses', () => {
    const line = '$[?(@.constructor.constructor("return process")().exit(7))] exists';
    expect(checkJsonAssertion(parseJsonAssertion(line), { a: 1 })).toMatch(/^the JSONPath could not be evaluated \(/);
  });
});

describe('checkResponse', () => {
  const expectations: Expectations = {
    status: [200, 201],
    json: parseJsonAssertions('$.ok == true'),
    body: parseRegex('"ok"'),
  };
  it.each([
    [200, '{"ok":true}', undefined],
    [201, '{"ok": true}', undefined],
    [500, '{"error":"x"}', { kind: 'status', expectation: 'status 200 or 201', actual: '500: {"error":"x"}' }],
    [401, '{}', { kind: 'auth', expectation: 'status 200 or 201', actual: '401: the key or token was refused' }],
    [403, '', { kind: 'auth', expectation: 'status 200 or 201', actual: '403: the key or token was refused' }],
    [200, '{"ok":false}', { kind: 'json', expectation: '$.ok == true', actual: 'false' }],
    [200, '<html>', { kind: 'json', expectation: '$.ok == true', actual: 'body is not JSON: <html>' }],
  ])('status %i body %s', (status, body, failure) => {
    expect(checkResponse(expectations, status, body)).toEqual(failure);
  });

  it('checks the body regex after the JSON assertions', () => {
    const bodyOnly: Expectations = { status: [200], json: [], body: parseRegex('/^\\{"ready/') };
    expect(checkResponse(bodyOnly, 200, '{"ok":\n true}')).toEqual({
      kind: 'body',
      expectation: 'body ~= /^\\{"ready/',
      actual: '{"ok": true}',
    });
  });

  it('cuts long actual values to one bounded line', () => {
    const failure = checkResponse({ status: [200], json: [] }, 500, 'x'.repeat(1000));
    expect(failure?.actual.length).toBeLessThanOrEqual(200);
    expect(failure?.actual.endsWith('…')).toBe(true);
  });
});

describe('jsonEqual', () => {
  it.each([
    [{ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 }, true],
    [[1, 2], [2, 1], false],
    [{ a: 1 }, { a: 1, b: undefined }, false],
    [1, '1', false],
    [null, {}, false],
  ])('%j vs %j', (a, b, equal) => {
    expect(jsonEqual(a, b)).toBe(equal);
  });
});
