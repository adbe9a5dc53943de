// Loads the request bodies (cases) the smoke test sends: inline JSON, one JSON file, or a folder of
// `*.json` files, each case optionally with a `NAME.expect.json` file next to it.
//
// Conventions (documented for users in the action's README):
// - A folder's cases are its `*.json` files (not recursive), sorted by name, except `*.expect.json`.
//   The case name is the file name without `.json`. A single payload file follows the same rule.
// - `NAME.expect.json` holds the case's own expectations, an object with any of
//   `{ "status": 200 | [200, 201], "json": ["$.output exists", ...] | "one\nline\nper\nassertion", "body": "regex" }`.
//   Each field given replaces the run's setting of the same name for that case (`json` replaces
//   the whole list); fields left out keep the run's. An expectation file without its case is an error.
// - Bodies are sent byte for byte as the file holds them (after a UTF-8 BOM), and must parse as JSON.

import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative as relativePath } from 'node:path';
import { UserError } from '../errors.js';
import type { Expectations, SmokeCase } from './config.js';
import { parseJsonAssertions, parseRegex } from './expectations.js';

export const CASE_SUFFIX = '.json';
export const EXPECT_SUFFIX = '.expect.json';

export type PayloadSource =
  /** A value already parsed from the input; sent as JSON.stringify of it. */
  | { kind: 'inline'; json: unknown }
  /** JSON text from the input; sent as written. */
  | { kind: 'inline-text'; text: string }
  | { kind: 'file'; path: string }
  | { kind: 'directory'; path: string };

/**
 * Reads the cases of a payload source whose paths are already resolved. UserErrors (input
 * `payload`) name the file and what is wrong with it.
 */
export async function loadCases(source: PayloadSource): Promise<SmokeCase[]> {
  switch (source.kind) {
    case 'inline': {
      const body = JSON.stringify(source.json);
      if (body === undefined) throw new UserError('The inline payload is not a JSON value.', { input: 'payload' });
      return [{ name: 'inline', body, source: 'inline' }];
    }
    case 'inline-text':
      checkJson(source.text, 'The inline payload');
      return [{ name: 'inline', body: source.text, source: 'inline' }];
    case 'file':
      return [await loadCaseFile(source.path, await siblingNames(source.path))];
    case 'directory':
      return loadCaseFolder(source.path);
  }
}

/**
 * Picks the source for a payload input value: inline JSON when it starts with `{` or `[`,
 * else a path (resolved against `cwd` by the caller) that is a folder or a file.
 */
export async function payloadSourceOf(value: string, resolvedPath: string): Promise<PayloadSource> {
  const trimmed = value.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return { kind: 'inline-text', text: trimmed };
  let info;
  try {
    info = await stat(resolvedPath);
  } catch {
    throw new UserError(`The payload ${resolvedPath} does not exist.`, { input: 'payload' });
  }
  return info.isDirectory() ? { kind: 'directory', path: resolvedPath } : { kind: 'file', path: resolvedPath };
}

async function loadCaseFolder(folder: string): Promise<SmokeCase[]> {
  let names: string[];
  try {
    names = (await readdir(folder, { withFileTypes: true }))
      // Links too: they are refused below when they lead out of the folder, never skipped silently.
      .filter((entry) => entry.isFile() || entry.isSymbolicLink())
      .map((entry) => entry.name);
  } catch (error) {
    throw new UserError(`Cannot read the payload folder ${folder}: ${(error as Error).message}`, { input: 'payload' });
  }
  const available = new Set(names);
  const caseFiles = names.filter((name) => name.endsWith(CASE_SUFFIX) && !name.endsWith(EXPECT_SUFFIX)).sort();
  if (caseFiles.length === 0) {
    throw new UserError(`The payload folder ${folder} has no *.json case files.`, { input: 'payload' });
  }
  for (const name of names.filter((file) => file.endsWith(EXPECT_SUFFIX))) {
    const caseFile = `${name.slice(0, -EXPECT_SUFFIX.length)}${CASE_SUFFIX}`;
    if (!available.has(caseFile)) {
      throw new UserError(`${join(folder, name)} has no case ${caseFile} next to it.`, { input: 'payload' });
    }
  }
  return Promise.all(
    caseFiles.map(async (name) => {
      await assertInsideFolder(join(folder, name));
      return loadCaseFile(join(folder, name), available);
    }),
  );
}

async function loadCaseFile(path: string, siblings: ReadonlySet<string>): Promise<SmokeCase> {
  const file = basename(path);
  const name = file.endsWith(CASE_SUFFIX) ? file.slice(0, -CASE_SUFFIX.length) : file;
  const body = await readText(path);
  checkJson(body, `The payload file ${path}`);
  const expectFile = `${name}${EXPECT_SUFFIX}`;
  if (!siblings.has(expectFile)) return { name, body, source: path };
  const expectPath = join(dirname(path), expectFile);
  await assertInsideFolder(expectPath);
  return { name, body, source: path, expect: parseExpectationFile(await readText(expectPath), expectPath) };
}

/**
 * A case's expectation file is found by its name next to the case, so it is confined like `code:`
 * and `path:` uploads are: a symbolic link out of the payload's folder is refused, not followed.
 */
async function assertInsideFolder(file: string): Promise<void> {
  let real: string;
  let folder: string;
  try {
    [real, folder] = await Promise.all([realpath(file), realpath(dirname(file))]);
  } catch (error) {
    throw new UserError(`Cannot read ${file}: ${(error as Error).message}`, { input: 'payload' });
  }
  const relative = relativePath(folder, real);
  if (relative === '' || relative.startsWith('..') || isAbsolute(relative)) {
    throw new UserError(
      `${file} is a symbolic link out of the payload's folder; case and expectation files must be inside it (copy the file in).`,
      { input: 'payload' },
    );
  }
}

/**
 * Parses a case's expectation file (see the conventions at the top). Errors name the file, the
 * field and, for `json`, the line.
 */
export function parseExpectationFile(text: string, file: string): Partial<Expectations> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`, { input: 'payload' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UserError(`${file} must hold an object with any of "status", "json", "body".`, { input: 'payload' });
  }
  const fields = parsed as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !['status', 'json', 'body'].includes(key));
  if (unknown.length > 0) {
    throw new UserError(`${file} has unknown field(s) ${unknown.join(', ')}; allowed: status, json, body.`, {
      input: 'payload',
    });
  }
  const expect: Partial<Expectations> = {};
  if (fields.status !== undefined) {
    const statuses = Array.isArray(fields.status) ? (fields.status as unknown[]) : [fields.status];
    if (
      statuses.length === 0 ||
      !statuses.every((s) => Number.isInteger(s) && (s as number) >= 100 && (s as number) <= 599)
    ) {
      throw new UserError(`${file}: "status" must be an HTTP status or a list of them (100-599).`, {
        input: 'payload',
      });
    }
    expect.status = statuses as number[];
  }
  if (fields.json !== undefined) {
    const lines = fields.json;
    const isLines = typeof lines === 'string' || (Array.isArray(lines) && lines.every((l) => typeof l === 'string'));
    if (!isLines) {
      throw new UserError(`${file}: "json" must be a list of "JSONPath OP value" strings.`, { input: 'payload' });
    }
    try {
      expect.json = parseJsonAssertions(lines as string | string[], 'payload', `${file} "json"`);
    } catch (error) {
      throw new UserError((error as Error).message, { input: 'payload' });
    }
  }
  if (fields.body !== undefined) {
    if (typeof fields.body !== 'string') {
      throw new UserError(`${file}: "body" must be a regular expression as a string.`, { input: 'payload' });
    }
    try {
      expect.body = parseRegex(fields.body);
    } catch (error) {
      throw new UserError(`${file}: "body": ${(error as Error).message}`, { input: 'payload' });
    }
  }
  return expect;
}

async function siblingNames(path: string): Promise<Set<string>> {
  try {
    return new Set(await readdir(dirname(path)));
  } catch {
    return new Set();
  }
}

async function readText(path: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (error) {
    throw new UserError(`Cannot read ${path}: ${(error as Error).message}`, { input: 'payload' });
  }
}

function checkJson(text: string, what: string): void {
  try {
    JSON.parse(text);
  } catch (error) {
    throw new UserError(`${what} is not valid JSON: ${(error as Error).message}`, { input: 'payload' });
  }
}
