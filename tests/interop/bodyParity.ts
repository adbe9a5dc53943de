// How two clients' requests for the same job file are compared: the job PUT bodies action-pipeline
// and azure-ai-ml sent, with generated names normalised and a step's anonymous component inlined,
// flattened to leaf paths. Shared by tests/interop/parity.test.ts and the corpus (tests/corpus/).

import type { LoggedRequest } from './helpers.js';

type Json = Record<string, unknown>;

export interface KnownDifference {
  /** Job file (its name in tests/interop/jobs, or its path in the corpus), or '*' for every file. */
  file: string;
  /** Flattened field path (a regular expression over it when it starts with '^'). */
  field: string;
  /** Why the two clients differ here; "bug:" when action-pipeline should change. */
  reason: string;
  /** Only differences whose two values pass this test (so a row cannot hide another value). */
  when?: (ours: unknown, theirs: unknown) => boolean;
}

export interface Difference {
  file: string;
  field: string;
  ours: string | undefined;
  theirs: string | undefined;
}

/** What every job's bodies differ in: action-pipeline's lineage, and a default azure-ai-ml sends. */
export const LINEAGE_DIFFERENCES: KnownDifference[] = [
  { file: '*', field: 'properties.displayName', reason: "by design: action-pipeline appends ' @ <short commit>'" },
  { file: '*', field: 'properties.tags.commit', reason: 'by design: lineage tag of action-pipeline' },
  { file: '*', field: '^properties\\.properties\\.azureml-actions\\.', reason: 'by design: lineage properties' },
  { file: '*', field: 'properties.isArchived', reason: 'harmless: azure-ai-ml sends the default (false)' },
];

/** Differences of every job file: the lineage, and how a data input is referred to. */
export const DIFFERENCES_OF_EVERY_FILE: KnownDifference[] = [
  ...LINEAGE_DIFFERENCES,
  // How a data input is referred to: both forms name the same data, and Azure takes both.
  {
    file: '*',
    field: '^properties\\.(jobs\\.[^.]+\\.)?inputs\\.[^.]+\\.uri$',
    when: sameData,
    reason:
      "parity: ours sends a registered data input as written ('azureml:NAME:VERSION') and a local upload's " +
      "long-form datastore URI; azure-ai-ml the data version's ARM id and the short 'azureml://datastores/...' URI " +
      "(the same folder: both upload to azure-ai-ml's LocalUpload key). Kept: the spec's AssetJobInput.uri is any " +
      "'Input Asset URI' and prescribes no form; the long form is what action-register outputs, the same in any workspace",
  },
];

/** Every component version a client PUT and Azure accepted, by lowercased resource path. */
export function componentSpecs(log: LoggedRequest[], into = new Map<string, Json>()): Map<string, Json> {
  for (const r of log)
    if (r.method === 'PUT' && /\/components\/[^/]+\/versions\/[^/]+$/.test(r.path) && r.status < 300)
      into.set(r.path.toLowerCase(), (r.requestBody as Json).properties as Json);
  return into;
}

const ARM_ID =
  /^(azureml:)?\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+\//i;

/** Generated names → placeholders; a step's componentId → the spec of the component it names. */
export function normalise(value: unknown, components: Map<string, Json>, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => normalise(v, components));
  if (value !== null && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value as Json)) {
      if (k === 'componentId' && typeof v === 'string' && /\/components\/azureml_anonymous\//i.test(v)) {
        const spec = components.get(v.replace(/^azureml:/, '').toLowerCase());
        out.component = spec ? normalise(spec.componentSpec, components) : `<unregistered ${v}>`;
      } else out[k] = normalise(v, components, k);
    }
    return out;
  }
  if (typeof value === 'string') {
    // Code versions are generated names; the form of the reference (`azureml:` or not) is compared.
    if ((key === 'codeId' || key === 'code') && /\/codes\/[^/]+\/versions\/[^/]+$/.test(value))
      return value.replace(/^(azureml:)?.*$/, (_, prefix: string | undefined) => `${prefix ?? ''}<code version>`);
    // Uploads are not normalised: both tools put the same content at the same LocalUpload key.
    return value.replace(ARM_ID, '$1<workspace>/');
  }
  return value;
}

/** Leaf paths → JSON values. An empty object is no field: ARM treats `{}` and absent alike. */
export function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Json)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, JSON.stringify(value));
  return out;
}

/** The fields where two normalised bodies differ, in path order. */
export function compareBodies(file: string, ours: unknown, theirs: unknown): Difference[] {
  const a = flatten(ours);
  const b = flatten(theirs);
  const diffs: Difference[] = [];
  for (const field of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (a.get(field) !== b.get(field)) diffs.push({ file, field, ours: a.get(field), theirs: b.get(field) });
  }
  return diffs;
}

/** The row of `list` that allows a difference, if any. */
export function knownDifference(list: KnownDifference[], d: Difference): KnownDifference | undefined {
  return list.find(
    (k) =>
      (k.file === '*' || k.file === d.file) &&
      (k.field.startsWith('^') ? new RegExp(k.field).test(d.field) : k.field === d.field) &&
      (!k.when || k.when(parsed(d.ours), parsed(d.theirs))),
  );
}

const parsed = (json: string | undefined): unknown => (json === undefined ? undefined : JSON.parse(json));

/**
 * Two references to the same data: `azureml:NAME:VERSION` or the data version's ARM id, a datastore
 * path in long form (`azureml://subscriptions/…/datastores/D/paths/P`) or short (`azureml://datastores/D/paths/P`).
 */
export function sameData(ours: unknown, theirs: unknown): boolean {
  const key = (v: unknown): string | undefined => {
    if (typeof v !== 'string') return undefined;
    const id = /\/data\/([^/]+)\/versions\/([^/]+)$/.exec(v) ?? /^azureml:([^/:]+):([^/:]+)$/.exec(v);
    if (id) return `data ${id[1]}:${id[2]}`;
    const store = /\/datastores\/([^/]+)\/paths\/(.*)$/.exec(v);
    // A folder with or without its trailing slash is the same folder.
    return store ? `datastore ${store[1]}/${store[2]!.replace(/\/$/, '')}` : undefined;
  };
  return key(ours) !== undefined && key(ours) === key(theirs);
}
