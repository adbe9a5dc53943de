// Spark jobs, Spark steps and Spark component files as azure-ai-ml 1.35 reads them
// (_schema/job/parameterized_spark.py, spark_job.py, pipeline/component_job.py SparkSchema) and the
// REST shapes it sends: SparkJob at 2024-04-01 (conf values as strings, entry with its
// sparkJobEntryType), and YAML-shaped component specs and pipeline nodes.

import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { CommandSpec, CommonJobFields, InlineEnvironment } from '../jobFile.js';
import { readInlineEnvironment } from '../jobFile.js';
import { existsSync, statSync } from 'node:fs';
import { entries, fields, text, type Field, type YamlSource } from '../yamlSource.js';

/** The keys ParameterizedSparkSchema reads (besides the job's or step's own). */
export const SPARK_KEYS = [
  'code',
  'entry',
  'py_files',
  'jars',
  'files',
  'archives',
  'conf',
  'environment',
  'args',
] as const;

/** What a Spark job, step or component runs: resolved like a command's code and environment. */
export interface SparkSpec {
  code: CommandSpec['code'];
  environment: string | InlineEnvironment | undefined;
  entry: { file: string } | { class_name: string } | undefined;
  lists: { py_files?: string[]; jars?: string[]; files?: string[]; archives?: string[] };
  /** conf as the file writes it (PyYAML values: `True`, numbers). */
  conf: Record<string, unknown> | undefined;
  args: string | undefined;
}

export interface SparkResources {
  instance_type?: string;
  runtime_version?: string;
}

export interface SparkJob extends CommonJobFields {
  type: 'spark';
  spark: SparkSpec;
  resources: SparkResources | undefined;
}

/** spark.* conf keys that SparkJob sends (spark_job.py _to_rest_object). */
const DYNAMIC = 'spark.dynamicAllocation';

function stringList(source: YamlSource, field: Field | undefined, what: string): string[] | undefined {
  if (!field) return undefined;
  if (!field.value || !isSeq(field.value)) {
    source.report(field.value ?? field.keyNode, `${what} must be a list of paths.`);
    return undefined;
  }
  const values: string[] = [];
  for (const item of field.value.items) {
    if (!isScalar(item) || typeof item.value !== 'string') source.report(item as Node, `${what} must hold paths.`);
    else values.push(item.value);
  }
  // ParameterizedSparkSchema's no_duplicates validators.
  const duplicate = values.find((v, i) => values.indexOf(v) !== i);
  if (duplicate !== undefined)
    source.report(field.value, `${what} must not contain duplicate entries ('${duplicate}').`);
  return values;
}

/** The Spark part of a job, step or component (`f` holds the owner's fields). */
export function readSparkSpec(
  source: YamlSource,
  f: Map<string, Field>,
  owner: string,
  options: { codeRequired: boolean },
): SparkSpec | undefined {
  const entryField = f.get('entry');
  let entry: SparkSpec['entry'];
  if (entryField) {
    const e = fields(source, entryField.value, "'entry'", ['file', 'class_name']);
    const file = text(source, e.get('file'), "entry's 'file'");
    const className = text(source, e.get('class_name'), "entry's 'class_name'");
    if ((file === undefined) === (className === undefined))
      source.report(entryField.keyNode, "'entry' needs exactly one of 'file' (Python) or 'class_name' (Scala/Java).");
    else entry = file !== undefined ? { file } : { class_name: className ?? '' };
  } else if (options.codeRequired)
    source.report(source.document.contents as Node, `${owner} needs 'entry' (file or class_name).`);
  const codeText = text(source, f.get('code'), "'code'");
  let code: CommandSpec['code'];
  if (codeText !== undefined) {
    if (codeText.startsWith('azureml:')) code = { kind: 'asset', reference: codeText };
    else {
      const resolved = source.localPath(f.get('code')?.value, codeText, "'code'");
      if (resolved === undefined) return undefined;
      if (!existsSync(resolved) || !statSync(resolved).isDirectory()) {
        source.report(
          f.get('code')?.value,
          `'code' folder '${codeText}' does not exist (relative to ${source.displayPath}).`,
        );
        return undefined;
      }
      code = { kind: 'local', path: resolved };
    }
  } else if (options.codeRequired) {
    // SparkJob's codeId is required in the 2024-04-01 swagger.
    source.report(source.document.contents as Node, `${owner} needs 'code': the folder holding the entry file.`);
  }
  const environmentField = f.get('environment');
  const environment =
    environmentField?.value && isMap(environmentField.value)
      ? readInlineEnvironment(source, environmentField)
      : text(source, environmentField, "'environment'");
  let conf: Record<string, unknown> | undefined;
  const confField = f.get('conf');
  if (confField) {
    conf = {};
    for (const item of entries(source, confField.value, "'conf'")) {
      if (item.value && !isScalar(item.value)) source.report(item.value, `conf '${item.key}' must be a single value.`);
      else conf[item.key] = item.value ? source.pyYamlValue(item.value) : null;
    }
  }
  return {
    code,
    environment,
    entry,
    lists: Object.fromEntries(
      (['py_files', 'jars', 'files', 'archives'] as const).flatMap((key) => {
        const list = stringList(source, f.get(key), `'${key}'`);
        return list === undefined ? [] : [[key, list]];
      }),
    ),
    conf,
    args: text(source, f.get('args'), "'args'"),
  };
}

export function readSparkResources(source: YamlSource, field: Field | undefined): SparkResources | undefined {
  if (!field) return undefined;
  const r = fields(source, field.value, "'resources'", ['instance_type', 'runtime_version']);
  const instanceType = text(source, r.get('instance_type'), "'instance_type'");
  const runtimeVersion = text(source, r.get('runtime_version'), "'runtime_version'");
  return {
    ...(instanceType !== undefined ? { instance_type: instanceType } : {}),
    ...(runtimeVersion !== undefined ? { runtime_version: runtimeVersion } : {}),
  };
}

/** Python's str() of a conf value, as SparkJob sends conf (spark_job.py: `str(value)`). */
function pythonString(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) return String(value);
  return String(value);
}

/** The conf a node or job runs with: with dynamic allocation on, executors start at its minimum (spark.py). */
export function effectiveConf(conf: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!conf) return undefined;
  const enabled = String(conf[`${DYNAMIC}.enabled`]).toLowerCase() === 'true';
  if (enabled && conf['spark.executor.instances'] === undefined && conf[`${DYNAMIC}.minExecutors`] !== undefined)
    return { ...conf, 'spark.executor.instances': conf[`${DYNAMIC}.minExecutors`] };
  return conf;
}

export function sparkEntryRest(entry: NonNullable<SparkSpec['entry']>, snake: boolean): Record<string, string> {
  const type = 'file' in entry ? 'SparkJobPythonEntry' : 'SparkJobScalaEntry';
  if (snake) return { ...entry, spark_job_entry_type: type };
  return 'file' in entry
    ? { file: entry.file, sparkJobEntryType: type }
    : { className: entry.class_name, sparkJobEntryType: type };
}

/** The identity azure-ai-ml gives a Spark job or node that names none (spark.py `identity`). */
export function defaultSparkIdentity(
  identity: CommonJobFields['identity'],
  compute: string | undefined,
  resources: SparkResources | undefined,
): CommonJobFields['identity'] {
  if (identity) return identity;
  if (compute) return 'Managed';
  if (resources) return 'UserIdentity';
  return undefined;
}

/** SparkJob's own properties (2024-04-01): the caller adds the common job fields, inputs and outputs. */
export function sparkJobRest(
  job: SparkJob,
  ids: { codeId: string | undefined; environmentId: string | undefined },
): Record<string, unknown> {
  const { spark } = job;
  const conf = effectiveConf(spark.conf);
  const identity = defaultSparkIdentity(job.identity, job.compute, job.resources);
  return {
    jobType: 'Spark',
    ...(ids.codeId ? { codeId: ids.codeId } : {}),
    ...(ids.environmentId ? { environmentId: ids.environmentId } : {}),
    ...(spark.entry ? { entry: sparkEntryRest(spark.entry, false) } : {}),
    ...(spark.lists.py_files ? { pyFiles: spark.lists.py_files } : {}),
    ...(spark.lists.jars ? { jars: spark.lists.jars } : {}),
    ...(spark.lists.files ? { files: spark.lists.files } : {}),
    ...(spark.lists.archives ? { archives: spark.lists.archives } : {}),
    ...(conf
      ? {
          conf: Object.fromEntries(
            Object.entries(conf)
              .filter(([, v]) => v !== null && v !== undefined)
              .map(([k, v]) => [k, pythonString(v)]),
          ),
        }
      : {}),
    ...(spark.args !== undefined ? { args: spark.args } : {}),
    ...(identity ? { identity: { identityType: identity } } : {}),
    ...(job.resources
      ? {
          resources: {
            ...(job.resources.instance_type !== undefined ? { instanceType: job.resources.instance_type } : {}),
            ...(job.resources.runtime_version !== undefined ? { runtimeVersion: job.resources.runtime_version } : {}),
          },
        }
      : {}),
  };
}

/** `${{inputs.x}}` / `${{outputs.y}}` in Spark args must name declared inputs and outputs. */
export function checkSparkArgs(
  source: YamlSource,
  f: Map<string, Field>,
  declared: { inputs: string[]; outputs: string[] },
): void {
  const argsField = f.get('args');
  const args = argsField?.value && isScalar(argsField.value) ? String(argsField.value.value) : '';
  for (const match of args.matchAll(/\$\{\{\s*(inputs|outputs)\.([\w.]+)\s*\}\}/g)) {
    const [, kind = 'inputs', name = ''] = match;
    const names = declared[kind as 'inputs' | 'outputs'];
    if (!names.includes(name))
      source.report(
        argsField?.value,
        `'args' uses \${{${kind}.${name}}}, but ${kind} declares ${names.join(', ') || 'nothing'}.`,
      );
  }
}
