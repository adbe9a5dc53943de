// Typed readers for action inputs: each validates one value and, when it is wrong, fails with an
// error naming the input, the value and what is allowed, before the action makes any request.

import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { parseDuration } from './duration.js';
import type { InputSource } from './source.js';

interface Common {
  /** Environment variable consulted when the input is empty (DESIGN.md "Login and workspace"). */
  env?: string;
}

export interface PathOptions extends Common {
  required?: boolean;
  /** What must be at the path; 'any' also allows a path that does not exist yet. */
  kind?: 'file' | 'directory' | 'file-or-directory' | 'any';
}

const TRUE_VALUES = ['true', 'True', 'TRUE'];
const FALSE_VALUES = ['false', 'False', 'FALSE'];

/**
 * Reads one action's inputs. `prefix` lets a group of inputs be read under a prefix, so
 * action-deploy reads the smoke test's `payload` as `smoke-test-payload` with the same code.
 */
export class InputReader {
  /**
   * @param onSecret called with every secret the moment it is read (client secrets, keys), so the
   *   host masks it before anything could print it.
   */
  constructor(
    private readonly source: InputSource,
    private readonly prefix = '',
    private readonly onSecret: (secret: string) => void = () => {},
    /** Every input name read so far (shared with prefixed readers): tests compare it with action.yml. */
    readonly namesRead = new Set<string>(),
  ) {}

  /** A reader for the same source whose input names all start with `prefix`. */
  withPrefix(prefix: string): InputReader {
    return new InputReader(this.source, this.prefix + prefix, this.onSecret, this.namesRead);
  }

  /** The full input name, as in action.yml. */
  nameOf(name: string): string {
    return this.prefix + name;
  }

  env(name: string): string | undefined {
    const value = this.source.env(name);
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  /** The raw trimmed value, falling back to `env` when empty; '' when neither is set. */
  raw(name: string, options: Common = {}): string {
    const full = this.nameOf(name);
    this.namesRead.add(full);
    const value = this.source.input(full).trim();
    if (value !== '') return value;
    return options.env ? (this.env(options.env) ?? '') : '';
  }

  optionalString(name: string, options: Common & { pattern?: RegExp; allowed?: string; maxLength?: number } = {}) {
    const value = this.raw(name, options);
    if (value === '') return undefined;
    if (options.maxLength !== undefined && value.length > options.maxLength) {
      throw new InputError(this.nameOf(name), value, `it must be at most ${options.maxLength} characters long.`);
    }
    if (options.pattern && !options.pattern.test(value)) {
      throw new InputError(this.nameOf(name), value, options.allowed ?? `it must match ${options.pattern}.`);
    }
    return value;
  }

  requiredString(name: string, options: Common & { pattern?: RegExp; allowed?: string; maxLength?: number } = {}) {
    const value = this.optionalString(name, options);
    if (value === undefined) {
      const fallback = options.env ? ` (or the environment variable ${options.env})` : '';
      throw new InputError(this.nameOf(name), '', `it is required: set it${fallback}.`);
    }
    return value;
  }

  /** A secret value (masked at once through `onSecret`); never echoed in errors. */
  secretString(name: string, options: Common = {}): string | undefined {
    const value = this.raw(name, options);
    if (value === '') return undefined;
    this.onSecret(value);
    return value;
  }

  /** Masks a secret that is part of another input's value (a header value carrying an API key). */
  maskSecret(value: string): void {
    if (value !== '') this.onSecret(value);
  }

  boolean(name: string, defaultValue: boolean): boolean {
    const value = this.raw(name);
    if (value === '') return defaultValue;
    if (TRUE_VALUES.includes(value)) return true;
    if (FALSE_VALUES.includes(value)) return false;
    throw new InputError(this.nameOf(name), value, "allowed values are 'true' and 'false'.");
  }

  enumeration<T extends string>(name: string, allowed: readonly T[], defaultValue: T, options?: Common): T;
  enumeration<T extends string>(
    name: string,
    allowed: readonly T[],
    defaultValue: undefined,
    options?: Common,
  ): T | undefined;
  enumeration<T extends string>(
    name: string,
    allowed: readonly T[],
    defaultValue: T | undefined,
    options: Common = {},
  ) {
    const value = this.raw(name, options);
    if (value === '') return defaultValue;
    const match = allowed.find((candidate) => candidate === value);
    if (match === undefined) {
      throw new InputError(this.nameOf(name), value, `allowed values are ${allowed.map((a) => `'${a}'`).join(', ')}.`);
    }
    return match;
  }

  integer(name: string, range: { min: number; max: number }, defaultValue: number): number;
  integer(name: string, range: { min: number; max: number }, defaultValue?: undefined): number | undefined;
  integer(name: string, range: { min: number; max: number }, defaultValue?: number) {
    const value = this.raw(name);
    if (value === '') return defaultValue;
    const parsed = /^[+-]?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < range.min || parsed > range.max) {
      throw new InputError(this.nameOf(name), value, `it must be a whole number from ${range.min} to ${range.max}.`);
    }
    return parsed;
  }

  number(name: string, range: { min: number; max: number }, defaultValue: number): number;
  number(name: string, range: { min: number; max: number }, defaultValue?: undefined): number | undefined;
  number(name: string, range: { min: number; max: number }, defaultValue?: number) {
    const value = this.raw(name);
    if (value === '') return defaultValue;
    const parsed = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isFinite(parsed) || parsed < range.min || parsed > range.max) {
      throw new InputError(this.nameOf(name), value, `it must be a number from ${range.min} to ${range.max}.`);
    }
    return parsed;
  }

  /** A duration in milliseconds (`500ms`, `30s`, `15m`, `2h` or plain seconds). */
  duration(name: string, range: { minMs: number; maxMs: number }, defaultValue: string): number;
  duration(name: string, range: { minMs: number; maxMs: number }, defaultValue?: undefined): number | undefined;
  duration(name: string, range: { minMs: number; maxMs: number }, defaultValue?: string) {
    const value = this.raw(name) || defaultValue || '';
    if (value === '') return undefined;
    const ms = parseDuration(value);
    if (ms === undefined || ms < range.minMs || ms > range.maxMs) {
      throw new InputError(
        this.nameOf(name),
        value,
        `it must be a duration such as '500ms', '30s', '15m', '2h' or a number of seconds, ` +
          `from ${describeMs(range.minMs)} to ${describeMs(range.maxMs)}.`,
      );
    }
    return ms;
  }

  /** `key=value` lines, or a JSON object of strings; keys must be unique and non-empty. */
  keyValueMap(name: string, options: { keyPattern?: RegExp; allowedKeys?: string } = {}): Record<string, string> {
    const value = this.raw(name);
    const full = this.nameOf(name);
    if (value === '') return {};
    const result: Record<string, string> = {};
    const add = (key: string, item: string) => {
      if (key === '' || (options.keyPattern && !options.keyPattern.test(key))) {
        throw new InputError(full, key, options.allowedKeys ?? 'keys must not be empty.');
      }
      if (Object.hasOwn(result, key)) throw new InputError(full, key, 'each key may appear only once.');
      result[key] = item;
    };
    if (value.startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch (error) {
        throw new InputError(full, value, `it looks like JSON but does not parse (${(error as Error).message}).`);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new InputError(full, value, 'it must be a JSON object or key=value lines.');
      }
      for (const [key, item] of Object.entries(parsed)) {
        if (typeof item === 'object' && item !== null) {
          throw new InputError(full, key, 'values must be strings, numbers or booleans.');
        }
        add(key, String(item));
      }
      return result;
    }
    for (const line of value.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      const equals = trimmed.indexOf('=');
      if (equals <= 0) throw new InputError(full, trimmed, "each line must be 'key=value' (or give a JSON object).");
      add(trimmed.slice(0, equals).trim(), trimmed.slice(equals + 1).trim());
    }
    return result;
  }

  /** Non-empty lines (comments starting with # skipped). */
  lines(name: string): string[] {
    return this.raw(name)
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
  }

  /** Comma- or newline-separated values. */
  list(name: string): string[] {
    return this.raw(name)
      .split(/[,\n]/)
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  /**
   * A path relative to GITHUB_WORKSPACE (or absolute inside it or RUNNER_TEMP), resolved through
   * symlinks so nothing outside those folders can be read or written through an input.
   */
  path(name: string, options: PathOptions & { required: true }): string;
  path(name: string, options?: PathOptions): string | undefined;
  path(name: string, options: PathOptions = {}): string | undefined {
    const value = options.required ? this.requiredString(name, options) : this.optionalString(name, options);
    if (value === undefined) return undefined;
    return resolveInsideWorkspace(this.nameOf(name), value, this.roots(), options.kind ?? 'file-or-directory');
  }

  /** The folders paths may point into: the workspace first, then the runner's temp folder. */
  roots(): string[] {
    const workspace = this.env('GITHUB_WORKSPACE') ?? process.cwd();
    const temp = this.env('RUNNER_TEMP');
    return temp ? [path.resolve(workspace), path.resolve(temp)] : [path.resolve(workspace)];
  }
}

function resolveInsideWorkspace(
  input: string,
  value: string,
  roots: string[],
  kind: NonNullable<PathOptions['kind']>,
): string {
  if (value.includes('\0')) throw new InputError(input, value, 'it must be a path without NUL characters.');
  const workspace = roots[0] ?? process.cwd();
  const resolved = path.resolve(workspace, value);
  const where = `a path inside the workspace (${workspace})${roots.length > 1 ? ' or RUNNER_TEMP' : ''}`;
  if (!roots.some((root) => isInside(root, resolved))) {
    throw new InputError(input, value, `it must be ${where}.`);
  }
  if (!existsSync(resolved)) {
    if (kind === 'any') return resolved;
    throw new InputError(
      input,
      value,
      `nothing exists at ${shorten(resolved)}; it must be ${describeKind(kind)} in the workspace.`,
    );
  }
  const real = realpathSync(resolved);
  const realRoots = roots.map((root) => (existsSync(root) ? realpathSync(root) : root));
  if (!realRoots.some((root) => isInside(root, real))) {
    throw new InputError(input, value, `it resolves through a symbolic link to ${shorten(real)}; it must be ${where}.`);
  }
  const stats = statSync(real);
  if (kind === 'file' && !stats.isFile()) throw new InputError(input, value, 'it must be a file, not a folder.');
  if (kind === 'directory' && !stats.isDirectory()) throw new InputError(input, value, 'it must be a folder.');
  return resolved;
}

/** A path inside an error message, cut to a readable length (the value itself may be huge). */
function shorten(resolved: string): string {
  return resolved.length > 160 ? `${resolved.slice(0, 157)}...` : resolved;
}

/** True when `candidate` is `root` or below it (paths already resolved). */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function describeKind(kind: NonNullable<PathOptions['kind']>): string {
  return kind === 'file' ? 'a file' : kind === 'directory' ? 'a folder' : 'a file or folder';
}

function describeMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
