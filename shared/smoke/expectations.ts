// What a response must satisfy, parsed from `expect-json` lines (`JSONPath OP value`) and checked
// against each response: status, JSON assertions (jsonpath-plus), body regex, in that order.

import { JSONPath } from 'jsonpath-plus';
import { UserError } from '../errors.js';
import type { Expectations } from './config.js';

export const JSON_OPERATORS = ['==', '!=', '<', '<=', '>', '>=', '~=', 'exists'] as const;
export type JsonOperator = (typeof JSON_OPERATORS)[number];

export interface JsonAssertion {
  /** The line as written, shown in failures. */
  line: string;
  path: string;
  operator: JsonOperator;
  /** A JSON value for == and !=, a number for ordering, a RegExp for ~=, undefined for exists. */
  expected: unknown;
}

/** Which check a response failed; `auth` is a 401/403 the case did not ask for. */
export type ExpectationKind = 'status' | 'auth' | 'json' | 'body';

export interface ExpectationFailure {
  kind: ExpectationKind;
  /** The expectation as the user would recognise it, e.g. `status 200` or `$.output[0] < 1`. */
  expectation: string;
  /** What the response had instead, one line, bounded. */
  actual: string;
}

const ORDERING: ReadonlySet<JsonOperator> = new Set(['<', '<=', '>', '>=']);
const OPERATOR_SET: ReadonlySet<string> = new Set(JSON_OPERATORS);
const ACTUAL_MAX_CHARS = 200;

/**
 * Parses `expect-json` lines. Blank lines and lines starting with `#` are skipped. A UserError
 * names the input, the line number (1-based, counting skipped lines), the line and what is wrong.
 */
export function parseJsonAssertions(
  text: string | readonly string[],
  input = 'expect-json',
  where = `'${input}'`,
): JsonAssertion[] {
  const lines = typeof text === 'string' ? text.split(/\r?\n/) : text;
  const assertions: JsonAssertion[] = [];
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      assertions.push(parseJsonAssertion(line));
    } catch (error) {
      throw new UserError(`${where} line ${index + 1} (${line}): ${(error as Error).message}`, { input });
    }
  });
  return assertions;
}

/** Parses one `JSONPath OP value` line; throws a plain Error saying what is wrong. */
export function parseJsonAssertion(line: string): JsonAssertion {
  if (!line.startsWith('$')) throw new Error("the JSONPath must start with '$' (for example $.output[0]).");
  const split = splitAtOperator(line);
  if (!split) {
    // Without an operator outside brackets, an unclosed bracket or quote is the likely cause.
    checkPathSyntax(line, { spacesAllowed: true });
    const token = /^\S+\s+(\S+)/.exec(line)?.[1];
    const glued = JSON_OPERATORS.find((op) => op !== 'exists' && line.includes(op));
    if (token !== undefined) {
      throw new Error(
        `'${token}' is not an operator; expected JSONPath OP value with OP one of ${JSON_OPERATORS.join(' ')}.`,
      );
    }
    throw new Error(
      glued
        ? `put spaces around the operator '${glued}' (JSONPath OP value).`
        : `no operator; expected JSONPath OP value with OP one of ${JSON_OPERATORS.join(' ')}.`,
    );
  }
  const { path, operator, rest } = split;
  checkPathSyntax(path);
  if (operator === 'exists') {
    if (rest !== '') throw new Error(`'exists' takes no value, but '${rest}' follows it.`);
    return { line, path, operator, expected: undefined };
  }
  if (rest === '') throw new Error(`'${operator}' needs a value after it.`);
  if (operator === '~=') return { line, path, operator, expected: parseRegex(rest) };
  if (ORDERING.has(operator)) {
    const value: unknown = parseJsonOrUndefined(rest);
    if (typeof value !== 'number') throw new Error(`'${operator}' compares numbers; '${rest}' is not a number.`);
    return { line, path, operator, expected: value };
  }
  // == and != take any JSON value; bare words (ok, READY) are strings so quotes are optional.
  const value = parseJsonOrUndefined(rest);
  return { line, path, operator, expected: value === undefined ? rest : value };
}

/**
 * A regex from `/pattern/flags` or a bare pattern. Throws a plain Error naming the problem.
 */
export function parseRegex(source: string): RegExp {
  const literal = /^\/(.*)\/([dgimsuvy]*)$/s.exec(source);
  try {
    // The g and y flags make .test() stateful across responses; drop them.
    return literal ? new RegExp(literal[1] ?? '', (literal[2] ?? '').replace(/[gy]/g, '')) : new RegExp(source);
  } catch (error) {
    throw new Error(`'${source}' is not a valid regular expression (${(error as Error).message}).`);
  }
}

/** The first expectation this response fails, or undefined when it meets them all. */
export function checkResponse(expect: Expectations, status: number, body: string): ExpectationFailure | undefined {
  if (!expect.status.includes(status)) {
    const expectation = `status ${expect.status.join(' or ')}`;
    if (status === 401 || status === 403) {
      return { kind: 'auth', expectation, actual: `${status}: the key or token was refused` };
    }
    return { kind: 'status', expectation, actual: oneLine(body.trim() === '' ? String(status) : `${status}: ${body}`) };
  }
  if (expect.json.length > 0) {
    let document: unknown;
    try {
      document = JSON.parse(body);
    } catch {
      const first = expect.json[0] as JsonAssertion;
      return { kind: 'json', expectation: first.line, actual: `body is not JSON: ${oneLine(body)}` };
    }
    for (const assertion of expect.json) {
      const actual = checkJsonAssertion(assertion, document);
      if (actual !== undefined) return { kind: 'json', expectation: assertion.line, actual };
    }
  }
  if (expect.body && !expect.body.test(body)) {
    return { kind: 'body', expectation: `body ~= ${String(expect.body)}`, actual: oneLine(body) || '(empty body)' };
  }
  return undefined;
}

/**
 * Checks one assertion against a parsed document. It holds when the path matches at least one
 * value and every matched value satisfies the operator (`exists`: at least one match). Returns
 * undefined when it holds, else the actual value(s) to show.
 */
export function checkJsonAssertion(assertion: JsonAssertion, document: unknown): string | undefined {
  let matches: unknown[];
  try {
    matches = JSONPath({ path: assertion.path, json: document as object, wrap: true, eval: 'safe' }) as unknown[];
  } catch (error) {
    // The safe evaluator refuses what it will not run (calls, constructors): the assertion fails.
    return `the JSONPath could not be evaluated (${oneLine((error as Error).message)})`;
  }
  if (matches.length === 0) return 'no match';
  if (assertion.operator === 'exists') return undefined;
  const failing = matches.findIndex((value) => !holds(assertion, value));
  if (failing < 0) return undefined;
  const shown = matches.length === 1 ? matches[0] : matches;
  return oneLine(JSON.stringify(shown) ?? String(shown));
}

function holds(assertion: JsonAssertion, value: unknown): boolean {
  const { operator, expected } = assertion;
  switch (operator) {
    case '==':
      return jsonEqual(value, expected);
    case '!=':
      return !jsonEqual(value, expected);
    case '<':
      return typeof value === 'number' && value < (expected as number);
    case '<=':
      return typeof value === 'number' && value <= (expected as number);
    case '>':
      return typeof value === 'number' && value > (expected as number);
    case '>=':
      return typeof value === 'number' && value >= (expected as number);
    case '~=':
      return (expected as RegExp).test(typeof value === 'string' ? value : JSON.stringify(value));
    case 'exists':
      return true;
  }
}

/** Structural equality of JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length && keys.every((key) => key in right && jsonEqual(left[key], right[key]))
  );
}

/** Splits at the first operator token that stands alone outside brackets, parentheses and quotes. */
function splitAtOperator(line: string): { path: string; operator: JsonOperator; rest: string } | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i] as string;
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    else if (char === '[' || char === '(') depth++;
    else if (char === ']' || char === ')') depth--;
    else if (depth === 0 && /\s/.test(char)) {
      const tokenStart = skipSpaces(line, i);
      let tokenEnd = tokenStart;
      while (tokenEnd < line.length && !/\s/.test(line[tokenEnd] as string)) tokenEnd++;
      const token = line.slice(tokenStart, tokenEnd);
      if (OPERATOR_SET.has(token)) {
        return { path: line.slice(0, i), operator: token as JsonOperator, rest: line.slice(tokenEnd).trim() };
      }
      i = tokenStart - 1;
    }
  }
  return undefined;
}

function skipSpaces(line: string, from: number): number {
  let i = from;
  while (i < line.length && /\s/.test(line[i] as string)) i++;
  return i;
}

/** jsonpath-plus accepts unbalanced paths silently (`$[` is the root), so check the brackets here. */
function checkPathSyntax(path: string, options: { spacesAllowed?: boolean } = {}): void {
  const open: string[] = [];
  let quote: string | undefined;
  for (let i = 0; i < path.length; i++) {
    const char = path[i] as string;
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '[' || char === '(') open.push(char);
    else if (char === ']' || char === ')') {
      const expected = char === ']' ? '[' : '(';
      if (open.pop() !== expected) throw new Error(`the JSONPath ${path} has an unmatched '${char}'.`);
    } else if (/\s/.test(char) && open.length === 0 && !options.spacesAllowed) {
      throw new Error(`the JSONPath ${path} contains a space outside brackets; is the operator missing?`);
    }
  }
  if (quote) throw new Error(`the JSONPath ${path} has an unclosed quote.`);
  if (open.length > 0) throw new Error(`the JSONPath ${path} has an unclosed '${open[open.length - 1]}'.`);
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** One line, at most ACTUAL_MAX_CHARS characters, for messages and the summary. */
export function oneLine(text: string, max = ACTUAL_MAX_CHARS): string {
  const flat = text
    .replace(/\s*(?:\r\n|\r|\n)\s*/g, ' ')
    .replace(/##\[/g, '## [')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
