// Reads an AutoML job or pipeline step with the tables of ./schema.ts: every key is turned into its
// REST value (taskDetails of the 2024-04-01 API) and into the value azure-ai-ml writes in a pipeline
// node, or refused with its file:line. Nothing is dropped: a key the API cannot carry is refused.

import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { JobInput } from '../jobFile.js';
import { entries, fields, scalar, type Field, type YamlSource } from '../yamlSource.js';
import {
  AUTOML_TASKS,
  camelToSnake,
  TASKS,
  TRANSFORMER_PARAMETER_KEYS,
  type Choice,
  type Kind,
  type Table,
} from './schema.js';

type Json = Record<string, unknown>;

/** A value as the REST API takes it and as azure-ai-ml writes it in a pipeline node. */
interface Read {
  rest: unknown;
  node: unknown;
}

/** The keys naming a task's data, with the REST property each becomes. */
export const DATA_KEYS = { training_data: 'trainingData', validation_data: 'validationData', test_data: 'testData' };
export type DataKey = keyof typeof DATA_KEYS;

/** An AutoML task as read: REST taskDetails and node fields without their data, and the data. */
export interface AutoMLSpec {
  /** The CLI's name, e.g. image_object_detection. */
  task: string;
  /** taskDetails without trainingData/validationData/testData (resolved at run time). */
  taskDetails: Json;
  /** The fields of a pipeline node as azure-ai-ml writes them (snake_case), without data. */
  nodeFields: Json;
  data: Partial<Record<DataKey, JobInput>>;
}

/** How the caller reads a data field (a registered asset, a URI, a local folder, or a binding). */
export type DataReader = (field: Field, what: string) => JobInput | undefined;

/** The keys an AutoML job or step may have besides the task's, per azure-ai-ml's AutoMLJobSchema. */
export const AUTOML_JOB_KEYS = ['task', 'resources', 'queue_settings', 'environment_id', 'environment_variables'];

/** Every key any task takes: what an AutoML job lists before its `task` is known. */
export function allTaskKeys(): string[] {
  return [...new Set(Object.values(TASKS).flatMap((t) => Object.keys(t.fields)))];
}

/**
 * Reads the task fields of `f` (the job's or step's fields, already checked against `allowed`):
 * the task's own table decides which keys it takes.
 */
export function readAutoMLTask(
  source: YamlSource,
  f: Map<string, Field>,
  owner: string,
  readData: DataReader,
  anchor: Node,
): AutoMLSpec | undefined {
  const taskField = f.get('task');
  const taskName = taskField ? scalar(source, taskField, "'task'") : undefined;
  if (taskName === undefined) {
    if (!taskField) source.report(anchor, `${owner} needs 'task': ${AUTOML_TASKS.join(', ')}.`);
    return undefined;
  }
  const schema = TASKS[String(taskName)];
  if (!schema) {
    source.report(taskField?.value, `'task' is '${String(taskName)}'; allowed values are ${AUTOML_TASKS.join(', ')}.`);
    return undefined;
  }
  const task = String(taskName);
  const before = source.problems.length;
  const taskDetails: Json = { taskType: schema.taskType };
  const nodeFields: Json = { task };
  const data: AutoMLSpec['data'] = {};
  for (const [key, field] of f) {
    if (!(key in schema.fields)) {
      if (!isJobKey(key))
        source.report(
          field.keyNode,
          `${owner} (task ${task}) has a field '${key}' that ${task} does not take. Allowed: ${Object.keys(schema.fields).join(', ')}.`,
        );
      continue;
    }
    const spec = schema.fields[key]!;
    if (spec.kind === 'data') {
      const input = readData(field, `'${key}'`);
      if (input) data[key as DataKey] = input;
      continue;
    }
    const value = readKind(source, field, spec.kind, `'${key}'`);
    if (value === undefined) continue;
    if (spec.rest) taskDetails[spec.rest] = value.rest;
    nodeFields[key] = value.node;
  }
  for (const key of schema.required) if (!f.has(key)) source.report(anchor, `${owner} (task ${task}) needs '${key}'.`);
  // Defaults azure-ai-ml's schemas load when the file has none (load_default).
  if (!f.has('log_verbosity')) {
    taskDetails.logVerbosity = 'Info';
    nodeFields.log_verbosity = 'info';
  }
  const metric = schema.fields.primary_metric;
  if (!f.has('primary_metric') && schema.defaultMetric) {
    taskDetails.primaryMetric = schema.defaultMetric;
    nodeFields.primary_metric = camelToSnake(schema.defaultMetric);
  }
  if (metric && !metric.rest) delete taskDetails.primaryMetric;
  const featurization = taskDetails.featurizationSettings as Json | undefined;
  if (featurization && schema.fields.featurization?.kind && isTabular(task)) {
    // TableFeaturizationSettingsSchema loads mode 'auto'; TabularFeaturizationSettings always sends transformerParams.
    featurization.mode ??= 'auto';
    featurization.transformerParams ??= {};
    (nodeFields.featurization as Json).mode ??= 'auto';
  }
  if (task.startsWith('text_')) {
    // NlpLimitSettings() is always sent, max_trials defaulting to 1 (entities/_job/automl/nlp).
    taskDetails.limitSettings = { maxTrials: 1, ...(taskDetails.limitSettings as Json | undefined) };
    nodeFields.limits = { max_trials: 1, ...(nodeFields.limits as Json | undefined) };
  }
  // ImageLimitSettings() is always sent (automl_image.py); the spec requires ImageVertical.limitSettings.
  if (task.startsWith('image_')) taskDetails.limitSettings ??= {};
  if (source.problems.length > before) return undefined;
  return { task, taskDetails, nodeFields, data };
}

function isTabular(task: string): boolean {
  return task === 'classification' || task === 'regression' || task === 'forecasting';
}

const JOB_LEVEL = new Set([
  'task',
  'resources',
  'queue_settings',
  'environment_id',
  'environment_variables',
  '$schema',
  'type',
  'name',
  'display_name',
  'experiment_name',
  'description',
  'tags',
  'properties',
  'compute',
  'inputs',
  'outputs',
  'identity',
  'services',
]);
function isJobKey(key: string): boolean {
  return JOB_LEVEL.has(key);
}

/** A table of keys (a nested settings object) read into its REST object and node object. */
export function readTable(source: YamlSource, node: Node | null, table: Table, what: string): Read | undefined {
  const before = source.problems.length;
  const rest: Json = {};
  const out: Json = {};
  for (const [key, field] of fields(source, node, what, Object.keys(table))) {
    const spec = table[key]!;
    const value = readKind(source, field, spec.kind, `${what.replace(/'$/, '')}.${key}'`);
    if (value === undefined) continue;
    if (spec.rest) rest[spec.rest] = value.rest;
    out[key] = value.node;
  }
  return source.problems.length > before ? undefined : { rest, node: out };
}

function readKind(source: YamlSource, field: Field, kind: Kind, what: string): Read | undefined {
  const value = field.value;
  if (typeof kind === 'object') {
    if ('notInApi' in kind) {
      source.report(
        field.keyNode,
        `${what} is read by azure-ai-ml, but Azure ML's REST API 2024-04-01 (which action-pipeline submits to) has no field for it (${kind.notInApi}); remove it, or submit this file with az ml job create.`,
      );
      return undefined;
    }
    if ('object' in kind) return readTable(source, value, kind.object, what);
    if ('searchSpace' in kind) return readSearchSpace(source, field, kind.searchSpace, what);
    return readChoice(source, field, kind, what);
  }
  const same = (v: unknown): Read => ({ rest: v, node: v });
  switch (kind) {
    case 'string': {
      const v = scalar(source, field, what);
      return v === undefined ? undefined : same(String(v));
    }
    case 'int':
    case 'minutes': {
      const v = scalar(source, field, what);
      if (v === undefined) return undefined;
      if (typeof v !== 'number' || !Number.isInteger(v)) return bad(source, field, `${what} must be a whole number.`);
      return kind === 'int' ? same(v) : { rest: isoMinutes(v), node: v };
    }
    case 'float': {
      const v = scalar(source, field, what);
      if (v === undefined) return undefined;
      return typeof v === 'number' ? same(v) : bad(source, field, `${what} must be a number.`);
    }
    case 'bool': {
      const v = scalar(source, field, what);
      if (v === undefined) return undefined;
      return typeof v === 'boolean' ? same(v) : bad(source, field, `${what} must be true or false.`);
    }
    case 'stringList':
    case 'intList': {
      const list = listOf(source, field, what);
      if (!list) return undefined;
      if (kind === 'intList' && !list.every((v) => typeof v === 'number' && Number.isInteger(v)))
        return bad(source, field, `${what} must be a list of whole numbers.`);
      return same(kind === 'stringList' ? list.map(String) : list);
    }
    case 'stringOrList': {
      if (value && isSeq(value)) {
        const list = listOf(source, field, what);
        return list && same(list.map(String));
      }
      const v = scalar(source, field, what);
      return v === undefined ? undefined : { rest: [String(v)], node: String(v) };
    }
    case 'stringMap': {
      const map: Record<string, string> = {};
      for (const entry of entries(source, value, what)) {
        const v = scalar(source, entry, `${what} '${entry.key}'`);
        if (v !== undefined) map[entry.key] = String(v);
      }
      return same(map);
    }
    case 'dict': {
      if (value && !isMap(value)) return bad(source, field, `${what} must be a mapping.`);
      return same(value ? (value.toJS(source.document) as unknown) : {});
    }
    case 'autoOrInt': {
      const v = scalar(source, field, what);
      if (v === undefined) return undefined;
      if (typeof v === 'string' && v.toLowerCase() === 'auto') return { rest: { mode: 'Auto' }, node: 'auto' };
      if (typeof v === 'number' && Number.isInteger(v)) return { rest: { mode: 'Custom', value: v }, node: v };
      return bad(source, field, `${what} is '${String(v)}'; use 'auto' or a whole number.`);
    }
    case 'targetLags': {
      if (value && isSeq(value)) {
        const list = listOf(source, field, what);
        if (!list) return undefined;
        if (!list.every((v) => typeof v === 'number' && Number.isInteger(v)))
          return bad(source, field, `${what} must be 'auto', a whole number or a list of whole numbers.`);
        return { rest: { mode: 'Custom', values: list }, node: list };
      }
      const v = scalar(source, field, what);
      if (v === undefined) return undefined;
      if (typeof v === 'string' && v.toLowerCase() === 'auto') return { rest: { mode: 'Auto' }, node: 'auto' };
      if (typeof v === 'number' && Number.isInteger(v)) return { rest: { mode: 'Custom', values: [v] }, node: v };
      return bad(source, field, `${what} is '${String(v)}'; use 'auto', a whole number or a list of whole numbers.`);
    }
    case 'transformerParams':
      return readTransformerParams(source, field, what);
    case 'earlyTermination':
      return readEarlyTermination(source, field, what);
    case 'data':
      throw new Error('data fields are read by the caller');
  }
}

function bad(source: YamlSource, field: Field, message: string): undefined {
  source.report(field.value ?? field.keyNode, message);
  return undefined;
}

function listOf(source: YamlSource, field: Field, what: string): (string | number | boolean)[] | undefined {
  if (!field.value || !isSeq(field.value)) return bad(source, field, `${what} must be a list.`);
  const out: (string | number | boolean)[] = [];
  for (const item of field.value.items) {
    const v = scalar(source, { key: what, keyNode: field.keyNode, value: item as Node }, what);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

/** A StringTransformedEnum: the YAML value is accepted when its transform is one of the allowed values'. */
function readChoice(source: YamlSource, field: Field, choice: Choice, what: string): Read | undefined {
  const transform = (v: string) => (choice.yaml === 'snake' ? camelToSnake(v) : v.toLowerCase());
  const one = (raw: string | number | boolean, node: Node | null): Read | undefined => {
    const text = String(raw);
    const match = choice.values.find((v) => transform(v) === transform(text));
    if (match === undefined) {
      source.report(
        node ?? field.keyNode,
        `${what} is '${text}'; allowed values are ${choice.values.map((v) => `'${transform(v)}'`).join(', ')}.`,
      );
      return undefined;
    }
    return { rest: choice.rest === 'spec' ? match : transform(text), node: transform(text) };
  };
  if (choice.list) {
    if (!field.value || !isSeq(field.value)) return bad(source, field, `${what} must be a list.`);
    const reads: Read[] = [];
    for (const item of field.value.items) {
      const v = isScalar(item) ? item.value : undefined;
      if (typeof v !== 'string' && typeof v !== 'number') return bad(source, field, `${what} must be a list of names.`);
      const read = one(v, item as Node);
      if (!read) return undefined;
      reads.push(read);
    }
    return { rest: reads.map((r) => r.rest), node: reads.map((r) => r.node) };
  }
  const v = scalar(source, field, what);
  return v === undefined ? undefined : one(v, field.value);
}

/** featurization.transformer_params: {imputer: [{fields: [...], parameters: {...}}]} (ColumnTransformerSchema). */
function readTransformerParams(source: YamlSource, field: Field, what: string): Read | undefined {
  const rest: Json = {};
  const node: Json = {};
  const keys: Choice = { values: TRANSFORMER_PARAMETER_KEYS, yaml: 'snake', rest: 'spec' };
  for (const entry of entries(source, field.value, what)) {
    const key = readChoice(source, { ...entry, value: entry.keyNode }, keys, `${what} key`);
    if (!key) continue;
    if (!entry.value || !isSeq(entry.value)) {
      source.report(entry.value ?? entry.keyNode, `${what} '${entry.key}' must be a list of {fields, parameters}.`);
      continue;
    }
    const transformers: Json[] = [];
    for (const item of entry.value.items) {
      const read = readTable(
        source,
        item as Node,
        { fields: { rest: 'fields', kind: 'stringList' }, parameters: { rest: 'parameters', kind: 'dict' } },
        `${what} '${entry.key}' item`,
      );
      if (read) transformers.push(read.rest as Json);
    }
    rest[key.rest as string] = transformers;
    node[key.node as string] = transformers;
  }
  return { rest, node };
}

const POLICIES = {
  bandit: { policyType: 'Bandit', keys: ['slack_factor', 'slack_amount'] },
  median_stopping: { policyType: 'MedianStopping', keys: [] },
  truncation_selection: { policyType: 'TruncationSelection', keys: ['truncation_percentage'] },
} as const;

/**
 * sweep.early_termination as azure-ai-ml sends it: the policy's every field, with the defaults its
 * entity classes give (entities/_job/sweep/early_termination_policy.py: Bandit 0/0/0/0,
 * MedianStopping delay 0 and interval 1, TruncationSelection 0/0/0).
 */
function readEarlyTermination(source: YamlSource, field: Field, what: string): Read | undefined {
  const f = fields(source, field.value, what, [
    'type',
    'evaluation_interval',
    'delay_evaluation',
    'slack_factor',
    'slack_amount',
    'truncation_percentage',
  ]);
  const type = scalar(source, f.get('type'), `${what}.type`);
  const policy = typeof type === 'string' ? POLICIES[type.toLowerCase() as keyof typeof POLICIES] : undefined;
  if (!policy) {
    source.report(
      f.get('type')?.value ?? field.keyNode,
      `${what} needs 'type': ${Object.keys(POLICIES).join(', ')}${type === undefined ? '' : ` (it is '${String(type)}')`}.`,
    );
    return undefined;
  }
  for (const key of ['slack_factor', 'slack_amount', 'truncation_percentage'])
    if (f.has(key) && !(policy.keys as readonly string[]).includes(key))
      source.report(f.get(key)?.keyNode, `${what}: '${key}' does not belong to a ${String(type)} policy.`);
  const number = (key: string, fallback: number, whole: boolean): number | undefined => {
    const v = scalar(source, f.get(key), `${what}.${key}`);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || (whole && !Number.isInteger(v))) {
      source.report(f.get(key)?.value, `${what}.${key} must be a ${whole ? 'whole ' : ''}number.`);
      return undefined;
    }
    return v;
  };
  const delay = number('delay_evaluation', 0, true);
  const interval = number('evaluation_interval', policy.policyType === 'MedianStopping' ? 1 : 0, true);
  const rest: Json = { policyType: policy.policyType, delayEvaluation: delay, evaluationInterval: interval };
  const node: Json = { type: String(type).toLowerCase(), evaluation_interval: interval, delay_evaluation: delay };
  if (policy.policyType === 'Bandit') {
    rest.slackFactor = node.slack_factor = number('slack_factor', 0, false);
    rest.slackAmount = node.slack_amount = number('slack_amount', 0, false);
  }
  if (policy.policyType === 'TruncationSelection')
    rest.truncationPercentage = node.truncation_percentage = number('truncation_percentage', 0, true);
  return { rest, node };
}

/** Parameters of each sweep distribution, in the order azure-ai-ml writes them (_sweep/search_space.py). */
const DISTRIBUTIONS: Record<string, string[]> = {
  choice: ['values'],
  uniform: ['min_value', 'max_value'],
  loguniform: ['min_value', 'max_value'],
  quniform: ['min_value', 'max_value', 'q'],
  qloguniform: ['min_value', 'max_value', 'q'],
  normal: ['mu', 'sigma'],
  lognormal: ['mu', 'sigma'],
  qnormal: ['mu', 'sigma', 'q'],
  qlognormal: ['mu', 'sigma', 'q'],
  randint: ['upper'],
};

/**
 * search_space: each subspace's values as the strings azure-ai-ml sends
 * (entities/_job/automl/search_space_utils.py _convert_to_rest_object): `choice('a','b')`,
 * `uniform(0.001,0.01)`, or a single value as its text.
 */
function readSearchSpace(source: YamlSource, field: Field, table: Table, what: string): Read | undefined {
  if (!field.value || !isSeq(field.value)) return bad(source, field, `${what} must be a list of search spaces.`);
  const before = source.problems.length;
  const rest: Json[] = [];
  const node: Json[] = [];
  for (const item of field.value.items) {
    const r: Json = {};
    const n: Json = {};
    for (const [key, entry] of fields(source, item as Node, `${what} entry`, Object.keys(table))) {
      const spec = table[key]!;
      const text = distributionText(source, entry, `${what}.${key}`);
      if (text === undefined || !spec.rest) continue;
      r[spec.rest] = text;
      n[key] = text;
    }
    rest.push(r);
    node.push(n);
  }
  return source.problems.length > before ? undefined : { rest, node };
}

function distributionText(source: YamlSource, field: Field, what: string): string | undefined {
  const value = field.value;
  if (value && isMap(value)) {
    const type = scalar(source, { ...field, value: value.get('type', true) as Node }, `${what}.type`);
    const params = typeof type === 'string' ? DISTRIBUTIONS[type.toLowerCase()] : undefined;
    if (!params) {
      source.report(value, `${what} needs 'type': ${Object.keys(DISTRIBUTIONS).join(', ')}.`);
      return undefined;
    }
    const f = fields(source, value, what, ['type', ...params]);
    const args: string[] = [];
    for (const param of params) {
      const p = f.get(param);
      if (!p) {
        source.report(value, `${what} (${String(type)}) needs '${param}'.`);
        return undefined;
      }
      if (param === 'values') {
        if (!p.value || !isSeq(p.value)) return bad(source, p, `${what}.values must be a list.`);
        for (const v of p.value.items) {
          if (!isScalar(v)) return bad(source, p, `${what}.values must be a list of single values.`);
          args.push(typeof v.value === 'string' ? `'${v.value}'` : valueText(v));
        }
      } else {
        if (!p.value || !isScalar(p.value) || typeof p.value.value !== 'number')
          return bad(source, p, `${what}.${param} must be a number.`);
        args.push(valueText(p.value));
      }
    }
    return `${String(type).toLowerCase()}(${args.join(',')})`;
  }
  if (!value || !isScalar(value)) return bad(source, field, `${what} must be a value or a distribution.`);
  return valueText(value);
}

/** A single value as Python's str() writes it (True/False), floats as azure-ai-ml's float_to_str. */
function valueText(node: Node): string {
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    const written = isScalar(node) ? String(node.source ?? '') : '';
    const isFloat = !Number.isInteger(v) || /[.eE]/.test(written);
    return isFloat ? floatToStr(v) : String(v);
  }
  return String(v);
}

/** azure-ai-ml's float_to_str: the shortest round-trip digits, never in scientific notation. */
export function floatToStr(v: number): string {
  let text = String(v);
  if (/e/i.test(text)) {
    const [mantissa = '', exponent = '0'] = text.toLowerCase().split('e');
    const digits = mantissa.replace('-', '').replace('.', '');
    const point = (mantissa.replace('-', '').indexOf('.') + 1 || mantissa.replace('-', '').length + 1) - 1;
    const shift = point + Number(exponent);
    const sign = v < 0 ? '-' : '';
    text =
      shift <= 0
        ? `${sign}0.${'0'.repeat(-shift)}${digits}`
        : shift >= digits.length
          ? `${sign}${digits}${'0'.repeat(shift - digits.length)}`
          : `${sign}${digits.slice(0, shift)}.${digits.slice(shift)}`;
  }
  return Number.isInteger(v) && !text.includes('.') ? `${text}.0` : text;
}

/** A duration of whole minutes as isodate's duration_isoformat writes a timedelta: PT20M, PT3H, P1DT1H. */
export function isoMinutes(minutes: number): string | undefined {
  if (!minutes) return undefined; // to_iso_duration_format_mins: None for 0
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  const time = `${hours ? `${hours}H` : ''}${rest ? `${rest}M` : ''}`;
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}
