// Checks request and response bodies against Microsoft's swagger of one stable api-version (found by
// specSource.ts): the subset of Swagger 2.0 / AutoRest the Azure ML specs use ($ref across
// files, allOf, discriminator + x-ms-discriminator-value, additionalProperties, required, enum
// (x-ms-enum modelAsString = open), x-nullable, readOnly, pattern, format).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { locateSpec, missingSpecMessage } from './specSource.js';

type Schema = Record<string, unknown>;
interface Doc {
  file: string;
  json: Record<string, unknown>;
}

export interface SpecOperation {
  operationId: string;
  method: string;
  path: string;
  file: string;
  requestSchema?: Schema;
  responses: Record<string, Schema | undefined>;
  examples: string[];
}

/** The stable api-versions whose swagger the lock pins (emulator/azure-spec.lock.json). */
export const SPEC_VERSIONS = ['2022-10-01', '2024-04-01'] as const;
export type SpecVersion = (typeof SPEC_VERSIONS)[number];

/** The spec folder found, or undefined (see specSource.ts for the order). */
export function specDir(): string | undefined {
  return locateSpec().dir;
}

const dayOf = (apiVersion: string): number => Date.parse(apiVersion.slice(0, 10));

/**
 * The stable spec a request at `apiVersion` is validated against: its own when pinned, else the first
 * pinned one at or after it (2022-05-01 and 2022-10-01-preview → 2022-10-01, 2023-08-01-preview →
 * 2024-04-01), the newest for later versions (2024-10-01-preview → 2024-04-01),
 * after the version's adapter removed the differences listed in arm/apiVersions.ts.
 */
export function nearestSpecVersion(apiVersion: string): SpecVersion {
  // The first pinned version at or after it: a preview's fields that became generally available are
  // in the next stable swagger, and a version older than every pinned one gets the oldest.
  const day = dayOf(apiVersion);
  return SPEC_VERSIONS.find((v) => v === apiVersion || dayOf(v) >= day) ?? SPEC_VERSIONS[SPEC_VERSIONS.length - 1]!;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class SpecValidator {
  private readonly docs = new Map<string, Doc>();
  readonly operations = new Map<string, SpecOperation>();
  private readonly subtypes = new Map<string, { file: string; name: string; schema: Schema }[]>();

  constructor(
    readonly dir: string,
    readonly version: SpecVersion = '2022-10-01',
  ) {
    // registries.json (2024-04-01 on) holds the registries themselves; their assets are in mfe.json.
    for (const f of ['mfe.json', 'machineLearningServices.json', 'registries.json']) {
      const file = join(dir, version, f);
      if (f === 'registries.json' && !existsSync(file)) continue;
      const doc = this.load(file);
      const paths = (doc.json.paths ?? {}) as Record<string, Record<string, unknown>>;
      for (const [path, item] of Object.entries(paths)) {
        for (const [method, op] of Object.entries(item)) {
          if (!isObj(op) || typeof op.operationId !== 'string') continue;
          const params = [...((item.parameters as unknown[]) ?? []), ...((op.parameters as unknown[]) ?? [])];
          let requestSchema: Schema | undefined;
          for (const p of params) {
            const param = isObj(p) && typeof p.$ref === 'string' ? this.resolveRef(file, p.$ref).schema : p;
            if (isObj(param) && param.in === 'body' && isObj(param.schema))
              requestSchema = this.bind(file, param.schema);
          }
          const responses: Record<string, Schema | undefined> = {};
          for (const [status, r] of Object.entries((op.responses ?? {}) as Record<string, unknown>)) {
            responses[status] = isObj(r) && isObj(r.schema) ? this.bind(file, r.schema) : undefined;
          }
          const examples = Object.values((op['x-ms-examples'] ?? {}) as Record<string, { $ref?: string }>)
            .map((e) => (typeof e.$ref === 'string' ? resolve(dirname(file), e.$ref) : ''))
            .filter(Boolean);
          this.operations.set(op.operationId, {
            operationId: op.operationId,
            method: method.toUpperCase(),
            path,
            file,
            ...(requestSchema ? { requestSchema } : {}),
            responses,
            examples,
          });
        }
      }
    }
  }

  private load(file: string): Doc {
    let doc = this.docs.get(file);
    if (!doc) {
      doc = { file, json: JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> };
      this.docs.set(file, doc);
      for (const [name, schema] of Object.entries((doc.json.definitions ?? {}) as Record<string, Schema>)) {
        for (const parent of (schema.allOf as Schema[] | undefined) ?? []) {
          if (typeof parent.$ref !== 'string') continue;
          const target = this.refKey(file, parent.$ref);
          const list = this.subtypes.get(target) ?? [];
          list.push({ file, name, schema });
          this.subtypes.set(target, list);
        }
      }
    }
    return doc;
  }

  private refFile(from: string, ref: string): string {
    const [path = ''] = ref.split('#');
    if (path === '') return from;
    // The swaggers point five levels up to the specs repository's common-types; here they sit in
    // azure-spec/common-types.
    const fixed = path.replace(/^(\.\.\/)+common-types\//, `${this.dir}/common-types/`);
    return fixed.startsWith('/') ? fixed : resolve(dirname(from), fixed);
  }

  private refKey(from: string, ref: string): string {
    return `${this.refFile(from, ref)}#${ref.split('#')[1] ?? ''}`;
  }

  resolveRef(from: string, ref: string): { file: string; schema: Schema } {
    const file = this.refFile(from, ref);
    const doc = this.load(file);
    let node: unknown = doc.json;
    for (const part of (ref.split('#')[1] ?? '').split('/').filter(Boolean))
      node = isObj(node) ? node[part] : undefined;
    if (!isObj(node)) throw new Error(`Unresolvable $ref ${ref} from ${from}`);
    return { file, schema: node };
  }

  /** A schema with the file it came from (so nested $refs resolve). */
  private bind(file: string, schema: Schema): Schema {
    return { ...schema, '#file': file };
  }

  private deref(schema: Schema): { file: string; schema: Schema; key?: string } {
    let file = String(schema['#file']);
    let s = schema;
    let key: string | undefined;
    while (typeof s.$ref === 'string') {
      key = this.refKey(file, s.$ref);
      const r = this.resolveRef(file, s.$ref);
      file = r.file;
      s = r.schema;
    }
    return { file, schema: s, ...(key ? { key } : {}) };
  }

  private child(file: string, s: unknown): Schema {
    return { ...(s as Schema), '#file': file };
  }

  /** Properties, required and additionalProperties of a schema with its allOf ancestors merged. */
  private flatten(
    file: string,
    schema: Schema,
  ): {
    props: Record<string, Schema>;
    required: Set<string>;
    closed: boolean;
    extra?: Schema;
    discriminator?: string;
    typed: boolean;
  } {
    const props: Record<string, Schema> = {};
    const required = new Set<string>();
    let closed = false;
    let extra: Schema | undefined;
    let discriminator: string | undefined;
    let typed = schema.type === 'object' || isObj(schema.properties);
    for (const parent of (schema.allOf as Schema[] | undefined) ?? []) {
      const p = this.deref(this.child(file, parent));
      const f = this.flatten(p.file, p.schema);
      Object.assign(props, f.props);
      for (const r of f.required) required.add(r);
      closed ||= f.closed;
      extra ??= f.extra;
      discriminator ??= f.discriminator;
      typed ||= f.typed;
    }
    for (const [k, v] of Object.entries((schema.properties ?? {}) as Record<string, unknown>))
      props[k] = this.child(file, v);
    for (const r of (schema.required as string[] | undefined) ?? []) required.add(r);
    if (schema.additionalProperties === false) closed = true;
    else if (isObj(schema.additionalProperties)) extra = this.child(file, schema.additionalProperties);
    if (typeof schema.discriminator === 'string') discriminator = schema.discriminator;
    return { props, required, closed, ...(extra ? { extra } : {}), ...(discriminator ? { discriminator } : {}), typed };
  }

  /** The subtype of `key` whose discriminator value is `value` (searching derived types transitively). */
  private subtype(key: string, value: string): { file: string; schema: Schema } | undefined {
    const queue = [...(this.subtypes.get(key) ?? [])];
    while (queue.length > 0) {
      const s = queue.shift()!;
      const v = s.schema['x-ms-discriminator-value'] ?? s.name;
      if (v === value) return { file: s.file, schema: s.schema };
      queue.push(...(this.subtypes.get(`${s.file}#/definitions/${s.name}`) ?? []));
    }
    return undefined;
  }

  /** Violations of `value` against `schema` (empty when it conforms). `request` ignores readOnly. */
  validate(schema: Schema, value: unknown, path = '$', mode: 'request' | 'response' = 'response'): string[] {
    const out: string[] = [];
    this.check(schema, value, path, mode, out);
    return out;
  }

  /**
   * `required`: the value is a required property (null then needs x-nullable: true). Like oav,
   * null is accepted for optional properties: Microsoft's own examples send it there.
   */
  private check(
    schemaIn: Schema,
    value: unknown,
    path: string,
    mode: 'request' | 'response',
    out: string[],
    required = true,
  ): void {
    if (out.length > 50) return;
    const d = this.deref(schemaIn);
    let { file, schema } = d;
    if (value === null || value === undefined) {
      const nullable = schema['x-nullable'] === true || schemaIn['x-nullable'] === true;
      if (value === null && required && !nullable && schemaIn['x-nullable'] !== false)
        out.push(`${path}: null is not allowed`);
      return;
    }
    let flat = this.flatten(file, schema);
    if (flat.discriminator && isObj(value) && typeof value[flat.discriminator] === 'string') {
      const key = d.key ?? '';
      const sub = key ? this.subtype(key, value[flat.discriminator] as string) : undefined;
      if (sub) {
        file = sub.file;
        schema = sub.schema;
        flat = this.flatten(file, schema);
      } else if (schema['x-ms-discriminator-value'] !== value[flat.discriminator]) {
        out.push(`${path}.${flat.discriminator}: unknown value '${String(value[flat.discriminator])}'`);
        return;
      }
    }
    const type = schema.type ?? (flat.typed ? 'object' : undefined);
    switch (type) {
      case 'object': {
        if (!isObj(value)) {
          out.push(`${path}: expected an object`);
          return;
        }
        for (const r of flat.required) {
          if (r in value && value[r] !== undefined) continue;
          // Secrets and write-only properties are required in requests but never returned.
          const p = flat.props[r];
          const mut = p ? (p['x-ms-mutability'] as string[] | undefined) : undefined;
          if (mode === 'response' && p && (p['x-ms-secret'] === true || (mut !== undefined && !mut.includes('read'))))
            continue;
          if (mode === 'request' && p?.readOnly === true) continue;
          out.push(`${path}.${r}: required`);
        }
        for (const [k, v] of Object.entries(value)) {
          const p = flat.props[k];
          if (p) this.check(p, v, `${path}.${k}`, mode, out, flat.required.has(k));
          else if (flat.extra) this.check(flat.extra, v, `${path}.${k}`, mode, out, false);
          else if (flat.closed) out.push(`${path}.${k}: not a property of this schema`);
        }
        return;
      }
      case 'array':
        if (!Array.isArray(value)) out.push(`${path}: expected an array`);
        else if (isObj(schema.items))
          value.forEach((v, i) => this.check(this.child(file, schema.items), v, `${path}[${i}]`, mode, out, false));
        return;
      case 'string': {
        if (typeof value !== 'string') {
          out.push(`${path}: expected a string`);
          return;
        }
        const xEnum = schema['x-ms-enum'] as { modelAsString?: boolean } | undefined;
        if (Array.isArray(schema.enum) && xEnum?.modelAsString !== true && !schema.enum.includes(value)) {
          out.push(`${path}: '${value}' is not one of ${schema.enum.join(', ')}`);
        }
        if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value))
          out.push(`${path}: does not match ${schema.pattern}`);
        if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) out.push(`${path}: not a date-time`);
        if (schema.format === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
          out.push(`${path}: not a uuid`);
        if (typeof schema.minLength === 'number' && value.length < schema.minLength)
          out.push(`${path}: shorter than ${schema.minLength}`);
        return;
      }
      case 'integer':
        if (typeof value !== 'number' || !Number.isInteger(value)) out.push(`${path}: expected an integer`);
        return;
      case 'number':
        if (typeof value !== 'number') out.push(`${path}: expected a number`);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') out.push(`${path}: expected a boolean`);
        return;
      default:
        return; // free-form
    }
  }
}

const validators = new Map<SpecVersion, SpecValidator>();
/** The folder found for the AZUREML_SPEC_DIR in force: looked up once, not on every request. */
let located: { override: string | undefined; dir: string | undefined } | undefined;

function locatedDir(): string | undefined {
  const override = process.env.AZUREML_SPEC_DIR;
  if (!located || located.override !== override) located = { override, dir: specDir() };
  return located.dir;
}
let warned = false;

/**
 * The validator for a request at `apiVersion` (its nearest pinned stable spec, loaded once), or null
 * when no spec is found: validation is then off, which warnSpecMissing says once per process.
 */
export function specValidator(apiVersion: string = SPEC_VERSIONS[0]): SpecValidator | null {
  const dir = locatedDir();
  if (!dir) return null;
  const version = nearestSpecVersion(apiVersion);
  let validator = validators.get(version);
  if (!validator || validator.dir !== dir) {
    validator = new SpecValidator(dir, version);
    validators.set(version, validator);
  }
  return validator;
}

/**
 * Says once per process (and not at all where a parent already said it: AZUREML_SPEC_WARNED) that
 * the spec is missing. With CI=true it throws instead: CI never passes unvalidated.
 */
export function warnSpecMissing(write: (line: string) => void = (l) => process.stderr.write(l)): void {
  const found = locateSpec();
  if (!('reason' in found)) return;
  const message = missingSpecMessage(found.reason);
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  if (warned || process.env.AZUREML_SPEC_WARNED === '1') return;
  warned = true;
  write(`emulator: warning: ${message}\n`);
}

/** Deletes the property at a validator path (`$.value[2].properties.stage`) from `body`, in place. */
function deleteAtPath(body: unknown, path: string): void {
  const parts = [...path.replace(/^\$/, '').matchAll(/\.([^.[]+)|\[(\d+)\]/g)].map((m) => m[1] ?? Number(m[2]));
  let node: unknown = body;
  for (const part of parts.slice(0, -1)) node = (node as Record<string | number, unknown> | undefined)?.[part];
  const last = parts.at(-1);
  if (isObj(node) && typeof last === 'string') delete node[last];
}

/**
 * What ARM does for an older api-version: a resource written at a newer one (a model's `stage`, a
 * job's `queueSettings`) answers without the fields the older swagger lacks. Removes each property
 * that `older` calls unknown while `newer` accepts it; one that neither knows stays, so strict mode
 * still reports the emulator's own mistakes.
 */
export function withoutNewerFields(
  older: SpecValidator,
  newer: SpecValidator,
  operationId: string,
  status: number,
  body: unknown,
): void {
  const olderSchema = older.operations.get(operationId)?.responses[String(status)];
  const newerSchema = newer.operations.get(operationId)?.responses[String(status)];
  if (!olderSchema || !newerSchema) return;
  // The validator reports at most about 50 problems a pass: a long list may take a few.
  for (let pass = 0; pass < 20; pass++) {
    const unknown = older
      .validate(olderSchema, body)
      .flatMap((p) => /^(.*): not a property of this schema$/.exec(p)?.slice(1, 2) ?? []);
    if (unknown.length === 0) return;
    const newerProblems = newer.validate(newerSchema, body);
    const removable = unknown.filter(
      (path) => !newerProblems.some((p) => [':', '.', '['].some((next) => p.startsWith(`${path}${next}`))),
    );
    if (removable.length === 0) return;
    for (const path of removable) deleteAtPath(body, path);
  }
}
