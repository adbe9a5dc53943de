// Reading a YAML file so that every problem can point at its line and column: the job file and the
// component files it references are checked with this before any request, and each problem is
// reported as a GitHub annotation on the file (DESIGN.md: bad input fails before Azure changes).

import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { UserError } from '../../shared/errors.js';
import { isInside } from '../../shared/inputs/reader.js';
import type { SourceLocation } from '../../shared/logger.js';

export interface Problem {
  message: string;
  location: SourceLocation;
}

/** Every problem found in a job file and the files it references, each with file:line:column. */
export class JobFileError extends UserError {
  constructor(readonly problems: Problem[]) {
    super(
      problems.length === 1
        ? `The job file has a problem: ${describe(problems[0] as Problem)}`
        : `The job file has ${problems.length} problems:\n${problems.map((p) => `  ${describe(p)}`).join('\n')}`,
      { input: 'job' },
    );
  }
}

function describe(problem: Problem): string {
  const { file, line, column } = problem.location;
  return `${file}:${line}:${column}: ${problem.message}`;
}

/** A parsed YAML file: its document, and a way to locate any node of it. */
export class YamlSource {
  readonly problems: Problem[] = [];
  readonly document: Document.Parsed;
  private readonly lines = new LineCounter();

  /** `displayPath` is what annotations name (relative to the workspace, as GitHub expects). */
  private yaml11: Document.Parsed | undefined;

  constructor(
    readonly absolutePath: string,
    readonly displayPath: string,
    /** The repository checkout: local paths in the file must stay inside it. */
    readonly workspaceRoot: string,
    private readonly text = readFileSync(absolutePath, 'utf8'),
  ) {
    this.document = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    for (const error of [...this.document.errors]) {
      const [line, column] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : [1, 1];
      this.problems.push({
        message: `YAML syntax: ${error.message.split('\n')[0] ?? error.message}`,
        location: { file: displayPath, line, column },
      });
    }
  }

  get folder(): string {
    return path.dirname(this.absolutePath);
  }

  /**
   * A path of the file resolved against its folder, or undefined (after reporting at `node`) when
   * it leaves the repository, also through a symbolic link: its content would be uploaded.
   */
  localPath(node: Node | null | undefined, value: string, what: string): string | undefined {
    const resolved = path.resolve(this.folder, value);
    // A path that does not exist (the caller reports that) is judged by its nearest existing folder,
    // so a checkout reached through a symbolic link does not make it look outside.
    let existing = resolved;
    while (!existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
    const real = path.join(realpathSync(existing), path.relative(existing, resolved));
    const root = existsSync(this.workspaceRoot) ? realpathSync(this.workspaceRoot) : this.workspaceRoot;
    if (!isInside(this.workspaceRoot, resolved) || !isInside(root, real)) {
      this.report(
        node,
        `${what} '${value}' must be inside the repository${real !== resolved ? ' (it links outside it)' : ''}.`,
      );
      return undefined;
    }
    return resolved;
  }

  locate(node: Node | Pair | null | undefined): SourceLocation {
    const range =
      node && 'range' in node ? node.range : node && 'key' in node ? (node.key as Node | null)?.range : undefined;
    const offset = range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    return { file: this.displayPath, line: Math.max(1, line), column: Math.max(1, col) };
  }

  report(node: Node | Pair | null | undefined, message: string): void {
    this.problems.push({ message, location: this.locate(node) });
  }

  /**
   * A node's value as PyYAML (YAML 1.1: `yes` is true, `0777` octal) loads it, which is what
   * azure-ai-ml hashes and sends for content such as an inline conda file.
   */
  pyYamlValue(node: Node): unknown {
    const route = pathTo(this.document.contents, node);
    if (!route) return node.toJS(this.document);
    this.yaml11 ??= parseDocument(this.text, { version: '1.1', uniqueKeys: false });
    const found: unknown = route.length === 0 ? this.yaml11.contents : this.yaml11.getIn(route, true);
    return found && typeof found === 'object' && 'toJS' in found ? (found as Node).toJS(this.yaml11) : found;
  }
}

/** The keys and indices from `root` down to `target`, or undefined when it is not below `root`. */
function pathTo(root: unknown, target: Node): (string | number)[] | undefined {
  if (root === target) return [];
  if (isMap(root))
    for (const pair of root.items) {
      const below = pathTo(pair.value, target);
      if (below) return [String(isScalar(pair.key) ? pair.key.value : pair.key), ...below];
    }
  if (isSeq(root))
    for (const [index, item] of root.items.entries()) {
      const below = pathTo(item, target);
      if (below) return [index, ...below];
    }
  return undefined;
}

/** A node of a YAML map with the key it sits under, so checks can point at either. */
export interface Field {
  key: string;
  keyNode: Node;
  value: Node | null;
}

/** The entries of a map node (reports a problem and answers [] when `node` is not a map). */
export function entries(source: YamlSource, node: Node | null, what: string): Field[] {
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isMap(node)) {
    source.report(node, `${what} must be a mapping of names to values.`);
    return [];
  }
  return node.items.map((pair) => ({
    key: String(isScalar(pair.key) ? pair.key.value : pair.key),
    keyNode: pair.key as Node,
    value: (pair.value as Node | null) ?? null,
  }));
}

/** The fields of a map node by key; unknown keys are reported with the keys that are allowed. */
export function fields(
  source: YamlSource,
  node: Node | null,
  what: string,
  allowed: readonly string[],
): Map<string, Field> {
  const result = new Map<string, Field>();
  for (const field of entries(source, node, what)) {
    if (!allowed.includes(field.key)) {
      const close = closeName(field.key, allowed);
      source.report(
        field.keyNode,
        `${what} has an unknown field '${field.key}'${close ? `; did you mean '${close}'?` : '.'} Allowed: ${allowed.join(', ')}.`,
      );
      continue;
    }
    result.set(field.key, field);
  }
  return result;
}

/** The allowed name `key` is a typo of, if any: one edit in a short name, two in a longer one ('task' is not 'tags'). */
export function closeName(key: string, allowed: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  return allowed.find((a) => editDistance(a, lower) <= (lower.length >= 6 ? 2 : 1));
}

/** A scalar's value (string, number, boolean) or undefined, reporting non-scalars. */
export function scalar(
  source: YamlSource,
  field: Field | undefined,
  what: string,
): string | number | boolean | undefined {
  if (!field || field.value === null) return undefined;
  if (!isScalar(field.value) || (typeof field.value.value === 'object' && field.value.value !== null)) {
    source.report(field.value, `${what} must be a single value, not a ${isSeq(field.value) ? 'list' : 'mapping'}.`);
    return undefined;
  }
  const value = field.value.value;
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
}

/** A string field (numbers are taken as their text, as the CLI does for names and versions). */
export function text(source: YamlSource, field: Field | undefined, what: string): string | undefined {
  const value = scalar(source, field, what);
  return value === undefined ? undefined : String(value);
}

export function integer(
  source: YamlSource,
  field: Field | undefined,
  what: string,
  min: number,
  max: number,
): number | undefined {
  const value = scalar(source, field, what);
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    source.report(field?.value, `${what} must be a whole number from ${min} to ${max}.`);
    return undefined;
  }
  return value;
}

export function oneOf<T extends string>(
  source: YamlSource,
  field: Field | undefined,
  what: string,
  allowed: readonly T[],
): T | undefined {
  const value = text(source, field, what);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    source.report(
      field?.value,
      `${what} is '${value}'; allowed values are ${allowed.map((a) => `'${a}'`).join(', ')}.`,
    );
    return undefined;
  }
  return value as T;
}

/** A map of string values (tags, environment variables). */
export function stringMap(source: YamlSource, field: Field | undefined, what: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of entries(source, field?.value ?? null, what)) {
    const value = scalar(source, entry, `${what} '${entry.key}'`);
    if (value !== undefined) result[entry.key] = String(value);
  }
  return result;
}

/** Levenshtein distance, for "did you mean" on misspelt keys. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
