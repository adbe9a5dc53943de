// Parallel steps and parallel component files as azure-ai-ml 1.35 reads them
// (_schema/job/parameterized_parallel.py, component/parallel_task.py) and the values it sends:
// mini_batch_size in bytes or files, partition_keys as a JSON string (builders/parallel.py).

import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { CommandSpec, InlineEnvironment } from '../jobFile.js';
import { readInlineEnvironment } from '../jobFile.js';
import { existsSync, statSync } from 'node:fs';
import { fields, integer, oneOf, scalar, stringMap, text, type Field, type YamlSource } from '../yamlSource.js';

/** The keys ParameterizedParallelSchema reads (besides the step's or component's own). */
export const PARALLEL_KEYS = [
  'logging_level',
  'task',
  'mini_batch_size',
  'partition_keys',
  'input_data',
  'resources',
  'retry_settings',
  'max_concurrency_per_instance',
  'error_threshold',
  'mini_batch_error_threshold',
  'environment_variables',
] as const;

const LOGGING_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;

/** The task a parallel step runs: its code and environment are resolved like a command's. */
export interface ParallelTask {
  code: CommandSpec['code'];
  environment: string | InlineEnvironment;
  /** The other task fields as written (type, entry_script, program_arguments, model, append_row_to). */
  fields: Record<string, string>;
}

/** The parallel settings as azure-ai-ml keeps them (snake_case, its own value types). */
export interface ParallelSpec {
  task: ParallelTask | undefined;
  /** Every other setting, converted: mini_batch_size as a number, partition_keys a JSON string. */
  settings: Record<string, unknown>;
  environmentVariables: Record<string, string> | undefined;
}

/** "10kb" → 10240 and "5" → 5, as builders/parallel.py converts mini_batch_size. */
export function miniBatchSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const m = /^(\d+)([kKmMgG][bB])?$/.exec(value.trim());
  if (!m) return undefined;
  const unit = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number(m[1]) * unit;
}

function readTask(source: YamlSource, field: Field | undefined, owner: string): ParallelTask | undefined {
  if (!field) return undefined;
  const t = fields(source, field.value, "'task'", [
    'type',
    'code',
    'entry_script',
    'program_arguments',
    'model',
    'append_row_to',
    'environment',
  ]);
  // ComponentParallelTaskSchema: type run_function (the only one the CLI takes), environment required.
  const type = oneOf(source, t.get('type'), "task's 'type'", ['run_function'] as const) ?? 'run_function';
  const environmentField = t.get('environment');
  const environment =
    environmentField?.value && isMap(environmentField.value)
      ? readInlineEnvironment(source, environmentField)
      : text(source, environmentField, "task's 'environment'");
  if (!environmentField) source.report(field.keyNode, `${owner}'s 'task' needs 'environment'.`);
  const codeText = text(source, t.get('code'), "task's 'code'");
  let code: CommandSpec['code'];
  if (codeText !== undefined) {
    if (codeText.startsWith('azureml:')) code = { kind: 'asset', reference: codeText };
    else {
      const resolved = source.localPath(t.get('code')?.value, codeText, "task's 'code'");
      if (resolved === undefined) return undefined;
      if (!existsSync(resolved) || !statSync(resolved).isDirectory()) {
        source.report(
          t.get('code')?.value,
          `task's 'code' folder '${codeText}' does not exist (relative to ${source.displayPath}).`,
        );
        return undefined;
      }
      code = { kind: 'local', path: resolved };
    }
  }
  const taskFields: Record<string, string> = { type };
  for (const key of ['entry_script', 'program_arguments', 'model', 'append_row_to']) {
    const value = text(source, t.get(key), `task's '${key}'`);
    if (value !== undefined) taskFields[key] = value;
  }
  if (environment === undefined) return undefined;
  return { code, environment, fields: taskFields };
}

/** The parallel part of a step or component (`f` holds the owner's fields). */
export function readParallelSpec(source: YamlSource, f: Map<string, Field>, owner: string): ParallelSpec {
  const settings: Record<string, unknown> = {};
  const logging = oneOf(source, f.get('logging_level'), "'logging_level'", LOGGING_LEVELS);
  if (logging) settings.logging_level = logging;
  const sizeField = f.get('mini_batch_size');
  const size = scalar(source, sizeField, "'mini_batch_size'");
  if (size !== undefined) {
    const bytes = typeof size === 'boolean' ? undefined : miniBatchSize(size);
    if (bytes === undefined)
      source.report(sizeField?.value, "'mini_batch_size' must be a count of files or a size such as 10kb, 5mb or 1gb.");
    else settings.mini_batch_size = bytes;
  }
  const keysField = f.get('partition_keys');
  if (keysField) {
    if (!keysField.value || !isSeq(keysField.value) || keysField.value.items.some((i) => !isScalar(i)))
      source.report(keysField.value ?? keysField.keyNode, "'partition_keys' must be a list of column names.");
    // builders/parallel.py sends json.dumps(partition_keys): Python's separators (", ").
    else
      settings.partition_keys = `[${keysField.value.items.map((i) => JSON.stringify(String((i as { value: unknown }).value))).join(', ')}]`;
  }
  const inputData = text(source, f.get('input_data'), "'input_data'");
  if (inputData !== undefined) settings.input_data = inputData;
  const resourcesField = f.get('resources');
  if (resourcesField) {
    const r = fields(source, resourcesField.value, "'resources'", [
      'instance_count',
      'instance_type',
      'shm_size',
      'docker_args',
      'properties',
    ]);
    const resources: Record<string, unknown> = {};
    const count = integer(source, r.get('instance_count'), "'instance_count'", 1, 1000);
    if (count !== undefined) resources.instance_count = count;
    for (const key of ['instance_type', 'shm_size', 'docker_args']) {
      const value = text(source, r.get(key), `'${key}'`);
      if (value !== undefined) resources[key] = value;
    }
    if (r.has('properties')) resources.properties = source.pyYamlValue(r.get('properties')?.value as Node);
    settings.resources = resources;
  }
  const retryField = f.get('retry_settings');
  if (retryField) {
    const r = fields(source, retryField.value, "'retry_settings'", ['max_retries', 'timeout']);
    const retry: Record<string, number> = {};
    const timeout = integer(source, r.get('timeout'), "retry_settings' 'timeout'", 1, 10 ** 9);
    const maxRetries = integer(source, r.get('max_retries'), "'max_retries'", 0, 1000);
    if (timeout !== undefined) retry.timeout = timeout;
    if (maxRetries !== undefined) retry.max_retries = maxRetries;
    settings.retry_settings = retry;
  }
  for (const [key, min] of [
    ['max_concurrency_per_instance', 1],
    ['error_threshold', -1],
    ['mini_batch_error_threshold', -1],
  ] as const) {
    const value = integer(source, f.get(key), `'${key}'`, min, 10 ** 9);
    if (value !== undefined) settings[key] = value;
  }
  const variables = f.get('environment_variables');
  const environmentVariables = variables ? stringMap(source, variables, "'environment_variables'") : undefined;
  return { task: readTask(source, f.get('task'), owner), settings, environmentVariables };
}
