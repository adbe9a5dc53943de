// The Azure ML CLI v2 job YAML that teams already keep in their repositories, read into a typed
// job: command jobs, pipeline jobs (inline command steps and `component:` references), and AutoML
// jobs. Every problem is collected with its file:line:column, so one run reports them all.

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, parse, type Node } from 'yaml';
import { anonymousEnvironmentVersion, pyYamlDump } from '../../shared/azure/anonymousEnvironment.js';
import { NAME_RULES } from '../../shared/azure/names.js';
import type { SourceLocation } from '../../shared/logger.js';
import { allTaskKeys, AUTOML_JOB_KEYS, readAutoMLTask, readTable, type AutoMLSpec } from './automl/read.js';
import { QUEUE_SETTINGS, RESOURCES } from './automl/schema.js';
import type { Override } from './inputs.js';
import { readSparkResources, readSparkSpec, checkSparkArgs, SPARK_KEYS, type SparkJob } from './jobFile/spark.js';
import {
  readTypedStep,
  TYPED_STEP_TYPES,
  typedOutputs,
  typedRunnables,
  typedStepKeys,
  type TypedStep,
} from './jobFile/steps.js';
import { readSweepJob, SWEEP_KEYS, type SweepJob } from './jobFile/sweep.js';
import {
  closeName,
  entries,
  fields,
  integer,
  JobFileError,
  oneOf,
  scalar,
  stringMap,
  text,
  YamlSource,
  type Field,
} from './yamlSource.js';

export const DATA_TYPES = [
  'uri_file',
  'uri_folder',
  'mltable',
  'custom_model',
  'mlflow_model',
  'triton_model',
] as const;
export type DataType = (typeof DATA_TYPES)[number];
export const LITERAL_TYPES = ['string', 'number', 'integer', 'boolean'] as const;
export type LiteralType = (typeof LITERAL_TYPES)[number];
export const INPUT_MODES = ['ro_mount', 'rw_mount', 'download', 'direct', 'eval_mount', 'eval_download'] as const;
export const OUTPUT_MODES = ['rw_mount', 'upload', 'direct'] as const;

/** `${{parent.inputs.x}}`, `${{parent.jobs.step.outputs.y}}` or `${{parent.outputs.z}}`. */
export type Binding =
  | { kind: 'parent-input'; name: string }
  | { kind: 'step-output'; step: string; output: string }
  | { kind: 'parent-output'; name: string };

export type JobInput =
  | { kind: 'literal'; value: string | number | boolean; type: LiteralType }
  | { kind: 'data'; type: DataType; path: string; local: boolean; mode: string | undefined }
  | {
      kind: 'binding';
      expression: string;
      binding: Binding;
      location: SourceLocation;
      /** `{path: ${{...}}, type, mode}`: what the file declares beside the binding. */
      type?: DataType | LiteralType | undefined;
      mode?: string | undefined;
    };

export type JobOutput =
  | {
      kind: 'data';
      type: DataType;
      mode: string | undefined;
      path: string | undefined;
      /** Written `name:` with nothing: a uri_folder the service names. */
      empty?: boolean;
    }
  | { kind: 'binding'; expression: string; binding: Binding; location: SourceLocation };

/** A component's declared input (a component YAML file's `inputs`). */
export interface ComponentPort {
  type: DataType | LiteralType;
  optional: boolean;
  default: string | number | boolean | undefined;
  description: string | undefined;
  /** Bounds of a number or integer input, and the values of an enum one, as the file wrote them. */
  min?: number | undefined;
  max?: number | undefined;
  enum?: string[] | undefined;
}

/**
 * An environment written in the file itself. Like azure-ai-ml, it is registered as an anonymous
 * version of CliV2AnonymousEnvironment named by its content (shared/azure/anonymousEnvironment.ts):
 * an image (with a conda file), or a Docker build context folder, uploaded first.
 */
export interface InlineEnvironment {
  kind: 'inline';
  /** A Docker image, or undefined when the environment is built from `build`. */
  image: string | undefined;
  /** The conda file as azure-ai-ml sends it: PyYAML's dump of the loaded file or mapping. */
  condaFile: string | undefined;
  /** A local Docker build context (absolute folder) and its Dockerfile's path inside it, as written. */
  build: { folder: string; dockerfilePath: string | undefined } | undefined;
  osType: 'Linux' | 'Windows' | undefined;
  description: string | undefined;
  tags: Record<string, string>;
  /**
   * The version azure-ai-ml gives this content. A build context's is known only once its folder is
   * hashed (at upload time, run.ts): undefined here then.
   */
  version: string | undefined;
  /** Equal for the same definition: its version, or the build context folder and Dockerfile. */
  identity: string;
  location: SourceLocation;
}

/** What a command runs: an inline step, a command job, or a command component file. */
export interface CommandSpec {
  command: string;
  /** An absolute local folder to upload, or an azureml: reference. */
  code: { kind: 'local'; path: string } | { kind: 'asset'; reference: string } | undefined;
  /** azureml:NAME:VERSION, azureml:NAME@latest, azureml://registries/..., or written inline. */
  environment: string | InlineEnvironment;
  environmentVariables: Record<string, string>;
  instanceCount: number | undefined;
  instanceType: string | undefined;
  /** resources.shm_size, e.g. 8g */
  shmSize: string | undefined;
  /** distribution as the REST API takes it (distributionType PyTorch, Mpi or TensorFlow). */
  distribution: Record<string, string | number> | undefined;
  timeoutSeconds: number | undefined;
  location: SourceLocation;
}

export interface CommonJobFields {
  file: string;
  name: string | undefined;
  displayName: string | undefined;
  experimentName: string | undefined;
  description: string | undefined;
  tags: Record<string, string>;
  /** The file's `properties` (ours, the lineage, are added to them). */
  properties: Record<string, string>;
  /** identity.type as the REST API names it. */
  identity: 'UserIdentity' | 'Managed' | 'AMLToken' | undefined;
  compute: string | undefined;
  inputs: Record<string, JobInput>;
  outputs: Record<string, JobOutput>;
  /** `services` as the REST API takes them (JobService, camelCase), or undefined when not written. */
  services: Record<string, JobServiceSpec> | undefined;
}

export interface CommandJob extends CommonJobFields {
  type: 'command';
  spec: CommandSpec;
}

export type StepSource =
  | { kind: 'inline'; spec: CommandSpec }
  | {
      kind: 'file';
      path: string;
      /** The file's `$schema`, kept in the component spec as azure-ai-ml keeps it. */
      schema: string | undefined;
      name: string | undefined;
      version: string | undefined;
      displayName: string | undefined;
      description: string | undefined;
      inputs: Record<string, ComponentPort>;
      outputs: Record<string, { type: DataType }>;
      spec: CommandSpec;
    }
  | { kind: 'registered'; reference: string; location: SourceLocation }
  /** A `type: automl` step: an AutoML node of the pipeline, sent inline (no component). */
  | { kind: 'automl'; spec: AutoMLSpec }
  /** A spark, parallel or sweep step (jobFile/steps.ts). */
  | { kind: 'typed'; step: TypedStep };

/** What a step or job needs resolved before submission: its code folder and its environment. */
export interface CodeAndEnvironment {
  code: CommandSpec['code'];
  environment: string | InlineEnvironment | undefined;
}

export interface PipelineStep {
  name: string;
  displayName: string | undefined;
  compute: string | undefined;
  inputs: Record<string, JobInput>;
  outputs: Record<string, JobOutput>;
  source: StepSource;
  /** A component step's own resources, distribution, limits and environment variables (its node's). */
  run?: StepRunSettings | undefined;
  /** A command step's interactive services (its node's). */
  services?: Record<string, JobServiceSpec> | undefined;
  location: SourceLocation;
}

/** What a command step sets for its run, over its component's: they go on the step's node. */
export type StepRunSettings = Pick<
  CommandSpec,
  'instanceCount' | 'instanceType' | 'shmSize' | 'distribution' | 'timeoutSeconds' | 'environmentVariables'
>;

export interface PipelineJob extends CommonJobFields {
  type: 'pipeline';
  defaultCompute: string | undefined;
  /** settings.default_datastore: a datastore name (azureml:NAME or NAME). */
  defaultDatastore: string | undefined;
  continueOnStepFailure: boolean | undefined;
  forceRerun: boolean | undefined;
  /**
   * `settings` keys the CLI does not know, sent as written: azure-ai-ml's PipelineJobSettingsSchema
   * takes unknown keys (`unknown = INCLUDE`) and sends them (tests/interop/captured/settings-unknown-key.json).
   */
  extraSettings: { key: string; value: unknown; suggestion: string | undefined; location: SourceLocation }[];
  steps: PipelineStep[];
}

/**
 * An AutoML job (every task of the 2024-04-01 API, read by ./automl/read.ts as azure-ai-ml's AutoML
 * schemas read them), with the job-level fields of azure-ai-ml's AutoMLJobSchema.
 */
export interface AutoMLJob extends CommonJobFields {
  type: 'automl';
  spec: AutoMLSpec;
  /** `resources` (serverless: instance_type, instance_count...) as JobResourceConfiguration. */
  resources: Record<string, unknown> | undefined;
  /** `queue_settings` as QueueSettings. */
  queueSettings: Record<string, unknown> | undefined;
  environmentId: string | undefined;
  environmentVariables: Record<string, string>;
}

export type JobDefinition = CommandJob | PipelineJob | AutoMLJob | SweepJob | SparkJob;
export type { SparkJob, SweepJob };

const BINDING =
  /^\$\{\{\s*parent\.(inputs\.([A-Za-z_][\w.]*)|outputs\.([A-Za-z_]\w*)|jobs\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_]\w*))\s*\}\}$/;
const ASSET_REFERENCE = /^azureml:(?!\/\/)([A-Za-z0-9][\w.-]*)(?::([\w.-]+)|@latest)$/;
const REGISTRY_ENVIRONMENT =
  /^azureml:\/\/registries\/[\w-]+\/environments\/[\w.-]+\/(versions\/[\w.-]+|labels\/latest)$/;
const COMMON_KEYS = [
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
];

/** Reads, overrides (`set`) and checks a job file; throws JobFileError listing every problem. */
export function loadJobFile(absolutePath: string, workspaceRoot: string, overrides: Override[] = []): JobDefinition {
  const source = new YamlSource(absolutePath, displayPath(absolutePath, workspaceRoot), workspaceRoot);
  const extraSources: YamlSource[] = [];
  if (source.problems.length === 0) applyOverrides(source, overrides);
  const job = source.problems.length === 0 ? readJob(source, workspaceRoot, extraSources) : undefined;
  const problems = [...source.problems, ...extraSources.flatMap((s) => s.problems)];
  if (problems.length > 0 || !job) throw new JobFileError(problems);
  return job;
}

export function displayPath(absolutePath: string, workspaceRoot: string): string {
  const relative = path.relative(workspaceRoot, absolutePath);
  return relative.startsWith('..') ? absolutePath : relative.split(path.sep).join('/');
}

/** `set` lines (`inputs.learning_rate=0.01`) change the document before it is checked. */
function applyOverrides(source: YamlSource, overrides: Override[]): void {
  const doc = source.document;
  for (const override of overrides) {
    const keys = override.path.split('.');
    const unsafe = keys.find((k) => k === '__proto__' || k === 'constructor' || k === 'prototype' || k === '');
    if (unsafe !== undefined) {
      source.report(
        doc.contents as Node,
        `set '${override.path}=${override.value}': '${unsafe}' is not a field of a job file.`,
      );
      continue;
    }
    // As the CLI's --set: missing mappings on the way are created; a value on the way is an error.
    let parent: unknown = doc.contents;
    let blocked: string | undefined;
    for (const [index, key] of keys.slice(0, -1).entries()) {
      if (!isMap(parent)) {
        blocked = keys.slice(0, index).join('.') || '(top)';
        break;
      }
      if (!parent.has(key)) parent.set(doc.createNode(key), doc.createNode({}));
      parent = parent.get(key, true);
    }
    if (blocked !== undefined || !isMap(parent)) {
      source.report(
        doc.contents as Node,
        `set '${override.path}=${override.value}': '${blocked ?? keys.slice(0, -1).join('.')}' is not a mapping in the job file.`,
      );
      continue;
    }
    // Nodes, not plain values: every later check locates what it reads in the file.
    const value = doc.createNode(parseScalar(override.value));
    const last = keys[keys.length - 1] ?? '';
    const current = parent.get(last, true);
    // An input written as {type, path} or {value} keeps its type: only its path or value changes.
    if (isMap(current) && current.has('path')) current.set('path', value);
    else if (isMap(current) && current.has('value')) current.set('value', value);
    else parent.set(parent.has(last) ? last : doc.createNode(last), value);
  }
}

function parseScalar(value: string): string | number | boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) return Number(value);
  return value;
}

/** Job types azure-ai-ml takes that action-pipeline does not run yet, each with why and what to do. */
const NOT_YET: Record<string, string> = {
  // The 2024-04-01 swagger's JobBase discriminator has AutoML, Command, Pipeline, Spark and Sweep
  // only: fine-tuning jobs exist in preview api-versions alone.
  finetuning:
    "'type' is 'finetuning': fine-tuning jobs are not in Azure ML's stable REST API (2024-04-01, which action-pipeline submits to), only in preview versions; submit this file with az ml job create.",
};

function readJob(source: YamlSource, workspaceRoot: string, extra: YamlSource[]): JobDefinition | undefined {
  const root = source.document.contents as Node | null;
  if (!isMap(root)) {
    source.report(root, 'A job file must be a mapping with at least `type` (command, pipeline or automl).');
    return undefined;
  }
  // Only the type here: the fields are checked once, against that type's keys, below.
  const typeField = entries(source, root, 'The job').find((f) => f.key === 'type');
  const explicit = text(source, typeField, "'type'");
  const type = explicit ?? (root.has('command') ? 'command' : root.has('jobs') ? 'pipeline' : undefined);
  if (type !== 'command' && type !== 'pipeline' && type !== 'automl' && type !== 'sweep' && type !== 'spark') {
    source.report(
      typeField?.value ?? root,
      explicit === undefined
        ? "The job needs 'type': command, pipeline, automl, sweep or spark."
        : (NOT_YET[explicit] ??
            `'type' is '${explicit}'; action-pipeline runs command, pipeline, automl, sweep and spark jobs.`),
    );
    return undefined;
  }
  const allowed = [...COMMON_KEYS, ...JOB_KEYS[type]];
  const f = fields(source, root, `A ${type} job`, allowed);
  const common = readCommon(source, f);
  // Captured and sent for command jobs and command steps; elsewhere refused by name, never dropped.
  if (common.services && type !== 'command')
    source.report(
      f.get('services')?.keyNode,
      `'services' on a ${type} job is not sent by action-pipeline yet; remove it, or set services on a command job or step.`,
    );
  if (type === 'command') {
    const spec = readCommandSpec(source, f, 'The command job');
    checkCommandBindings(source, f);
    return spec && { ...common, type, spec };
  }
  if (type === 'pipeline') return readPipeline(source, f, common, workspaceRoot, extra);
  if (type === 'sweep') return readSweepJob(source, f, common);
  if (type === 'spark') {
    const spark = readSparkSpec(source, f, 'A spark job', { codeRequired: true });
    checkSparkArgs(source, f, { inputs: Object.keys(common.inputs), outputs: Object.keys(common.outputs) });
    return spark && { ...common, type, spark, resources: readSparkResources(source, f.get('resources')) };
  }
  return readAutoML(source, f, common, root);
}

const JOB_KEYS = {
  command: [
    'command',
    'code',
    'environment',
    'environment_variables',
    'resources',
    'limits',
    'distribution',
    'component',
  ],
  pipeline: ['jobs', 'settings'],
  // SweepJobSchema: the sweep settings and `trial`; `resources` is read to refuse it with why.
  sweep: [...SWEEP_KEYS, 'resources'],
  spark: [...SPARK_KEYS, 'resources'],
  automl: [...AUTOML_JOB_KEYS, ...allTaskKeys()],
};

/** An interactive service of a job or a step (the REST API's JobService), as azure-ai-ml builds it. */
export interface JobServiceSpec {
  jobServiceType: string;
  port?: number;
  nodes?: { nodesValueType: 'All' };
  properties?: Record<string, string>;
}

/** azure-ai-ml's JobServiceTypeNames.ENTITY_TO_REST for the types a job file may write. */
const SERVICE_TYPES: Record<string, string> = {
  jupyter_lab: 'JupyterLab',
  ssh: 'SSH',
  tensor_board: 'TensorBoard',
  vs_code: 'VSCode',
  custom: 'Custom',
};

/**
 * `services:` as azure-ai-ml's JobServiceSchema family reads them (_schema/job/services.py) and
 * JobServiceBase._to_rest_job_service sends them: `log_dir` and `ssh_public_keys` become the
 * properties logDir and sshPublicKeys, `nodes` (only 'all') becomes AllNodes.
 */
export function readServices(source: YamlSource, field: Field | undefined): CommonJobFields['services'] {
  if (!field) return undefined;
  const services: Record<string, JobServiceSpec> = {};
  for (const entry of entries(source, field.value, "'services'")) {
    const what = `Service '${entry.key}'`;
    const f = fields(source, entry.value, what, ['type', 'port', 'nodes', 'properties', 'log_dir', 'ssh_public_keys']);
    const type = oneOf(source, f.get('type'), `${what}'s 'type'`, Object.keys(SERVICE_TYPES));
    if (type === undefined) {
      if (!f.has('type'))
        source.report(entry.keyNode, `${what} needs 'type' (${Object.keys(SERVICE_TYPES).join(', ')}).`);
      continue;
    }
    for (const [key, owner] of [
      ['log_dir', 'tensor_board'],
      ['ssh_public_keys', 'ssh'],
    ] as const)
      if (f.has(key) && type !== owner)
        source.report(f.get(key)?.keyNode, `${what}: '${key}' belongs to a service of type '${owner}', not '${type}'.`);
    const nodes = text(source, f.get('nodes'), `${what}'s 'nodes'`);
    if (nodes !== undefined && nodes !== 'all')
      source.report(f.get('nodes')?.value, `${what}'s 'nodes' is '${nodes}'; the only value is 'all'.`);
    const properties = {
      ...stringMap(source, f.get('properties'), `${what}'s 'properties'`),
      ...(f.has('log_dir') ? { logDir: text(source, f.get('log_dir'), `${what}'s 'log_dir'`) ?? '' } : {}),
      ...(f.has('ssh_public_keys')
        ? { sshPublicKeys: text(source, f.get('ssh_public_keys'), `${what}'s 'ssh_public_keys'`) ?? '' }
        : {}),
    };
    const port = integer(source, f.get('port'), `${what}'s 'port'`, 1, 65535);
    services[entry.key] = {
      jobServiceType: SERVICE_TYPES[type]!,
      ...(port !== undefined ? { port } : {}),
      ...(nodes === 'all' ? { nodes: { nodesValueType: 'All' as const } } : {}),
      ...(Object.keys(properties).length ? { properties } : {}),
    };
  }
  return services;
}

export function readCommon(source: YamlSource, f: Map<string, Field>): CommonJobFields {
  const name = text(source, f.get('name'), "'name'");
  if (name !== undefined && !NAME_RULES.asset.pattern.test(name))
    source.report(f.get('name')?.value, `'name' must be ${NAME_RULES.asset.allowed}`);
  return {
    file: source.displayPath,
    name,
    displayName: text(source, f.get('display_name'), "'display_name'"),
    experimentName: text(source, f.get('experiment_name'), "'experiment_name'"),
    description: text(source, f.get('description'), "'description'"),
    tags: stringMap(source, f.get('tags'), "'tags'"),
    properties: stringMap(source, f.get('properties'), "'properties'"),
    identity: identityOf(source, f.get('identity')),
    services: readServices(source, f.get('services')),
    compute: computeName(source, f.get('compute')),
    inputs: readInputs(source, f.get('inputs'), 'The job', false),
    outputs: readOutputs(source, f.get('outputs'), 'The job', false),
  };
}

const IDENTITIES = {
  user_identity: 'UserIdentity',
  managed: 'Managed',
  managed_identity: 'Managed',
  aml_token: 'AMLToken',
} as const;

export function identityOf(source: YamlSource, field: Field | undefined): CommonJobFields['identity'] {
  if (!field) return undefined;
  const type = oneOf(
    source,
    fields(source, field.value, "'identity'", ['type', 'client_id', 'object_id', 'resource_id']).get('type'),
    "identity's 'type'",
    Object.keys(IDENTITIES) as (keyof typeof IDENTITIES)[],
  );
  return type && IDENTITIES[type];
}

const DISTRIBUTIONS = { pytorch: 'PyTorch', mpi: 'Mpi', tensorflow: 'TensorFlow' } as const;

function distributionOf(source: YamlSource, field: Field | undefined): CommandSpec['distribution'] {
  if (!field) return undefined;
  const d = fields(source, field.value, "'distribution'", [
    'type',
    'process_count_per_instance',
    'worker_count',
    'parameter_server_count',
  ]);
  const type = oneOf(
    source,
    d.get('type'),
    "distribution's 'type'",
    Object.keys(DISTRIBUTIONS) as (keyof typeof DISTRIBUTIONS)[],
  );
  if (!type) return undefined;
  const count = (key: string, rest: string) => {
    const n = integer(source, d.get(key), `'${key}'`, 0, 10000);
    return n === undefined ? {} : { [rest]: n };
  };
  return {
    distributionType: DISTRIBUTIONS[type],
    ...count('process_count_per_instance', 'processCountPerInstance'),
    ...count('worker_count', 'workerCount'),
    ...count('parameter_server_count', 'parameterServerCount'),
  };
}

/** `azureml:cpu-cluster` or `cpu-cluster` → `cpu-cluster`. */
export function computeName(source: YamlSource, field: Field | undefined, bindingsAllowed = false): string | undefined {
  const value = text(source, field, "'compute'");
  if (value === undefined) return undefined;
  // A step's compute may be a pipeline input (azure-ai-ml sends the expression as the node's
  // computeId; pipeline_with_train_eval_pipeline_component in azureml-examples does this).
  const binding = parseBinding(value);
  if (binding?.kind === 'parent-input' && bindingsAllowed) return value.trim();
  const name = value.replace(/^azureml:/, '');
  // Microsoft's samples write `<ATTACHED_SPARK_POOL_NAME>` or `< your compute name >` for the user to fill in.
  if (/^<[^<>]*>$/.test(name.trim())) {
    source.report(
      field?.value,
      `'compute' is '${value}', a placeholder of the sample file: replace it with the name of your compute (azureml:NAME).`,
    );
    return undefined;
  }
  if (!NAME_RULES.compute.pattern.test(name)) {
    source.report(
      field?.value,
      `'compute' is '${value}'; it must be a compute name (azureml:NAME), ${NAME_RULES.compute.allowed}`,
    );
    return undefined;
  }
  return name;
}

/**
 * The type azure-ai-ml gives an input written without one: a `path` is uri_folder (its Input's
 * default type), a `value` is the literal type of that value.
 */
function defaultInputType(f: Map<string, Field>): DataType | LiteralType | undefined {
  if (f.has('path')) return 'uri_folder';
  const value = f.get('value')?.value;
  if (!value || !isScalar(value)) return undefined;
  if (typeof value.value === 'boolean') return 'boolean';
  if (typeof value.value === 'number') return Number.isInteger(value.value) ? 'integer' : 'number';
  return 'string';
}

export function readInputs(
  source: YamlSource,
  field: Field | undefined,
  owner: string,
  bindingsAllowed: boolean,
): Record<string, JobInput> {
  const result: Record<string, JobInput> = {};
  for (const entry of entries(source, field?.value ?? null, `${owner}'s 'inputs'`)) {
    const what = `Input '${entry.key}'`;
    if (entry.value !== null && isMap(entry.value)) {
      const f = fields(source, entry.value, what, [
        'type',
        'path',
        'mode',
        'value',
        'description',
        'optional',
        'default',
      ]);
      const type = f.has('type')
        ? oneOf(source, f.get('type'), `${what}'s 'type'`, [...DATA_TYPES, ...LITERAL_TYPES])
        : defaultInputType(f);
      if (type === undefined) {
        if (!f.has('type'))
          source.report(entry.keyNode, `${what} needs 'type' (${DATA_TYPES.join(', ')}, or a literal type).`);
        continue;
      }
      if ((LITERAL_TYPES as readonly string[]).includes(type)) {
        const value = scalar(source, f.get('value') ?? f.get('default'), `${what}'s 'value'`);
        if (value === undefined) source.report(entry.keyNode, `${what} of type ${type} needs 'value'.`);
        else result[entry.key] = { kind: 'literal', value, type: type as LiteralType };
        continue;
      }
      const dataPath = text(source, f.get('path'), `${what}'s 'path'`);
      if (dataPath === undefined) {
        source.report(
          entry.keyNode,
          `${what} of type ${type} needs 'path' (azureml:NAME:VERSION, a URI or a local path).`,
        );
        continue;
      }
      const binding = parseBinding(dataPath);
      if (binding) {
        if (!bindingsAllowed)
          source.report(f.get('path')?.value, `${what}: bindings like '${dataPath}' belong in pipeline steps.`);
        else
          result[entry.key] = {
            kind: 'binding',
            expression: dataPath,
            binding,
            location: source.locate(f.get('path')?.value),
            type: f.has('type') ? type : undefined,
            mode: oneOf(source, f.get('mode'), `${what}'s 'mode'`, INPUT_MODES),
          };
        continue;
      }
      const local = !/^(azureml:|https?:\/\/|wasbs?:\/\/|abfss?:\/\/|adl:\/\/)/i.test(dataPath);
      const resolved = local ? source.localPath(f.get('path')?.value, dataPath, `${what}'s path`) : dataPath;
      if (resolved === undefined) continue;
      if (local && !existsSync(resolved)) {
        source.report(
          f.get('path')?.value,
          `${what}'s path '${dataPath}' does not exist (relative to ${source.displayPath}).`,
        );
        continue;
      }
      result[entry.key] = {
        kind: 'data',
        type: type as DataType,
        path: resolved,
        local,
        mode: oneOf(source, f.get('mode'), `${what}'s 'mode'`, INPUT_MODES),
      };
      continue;
    }
    const value = scalar(source, entry, what);
    if (value === undefined) {
      if (entry.value === null || (isScalar(entry.value) && entry.value.value === null))
        source.report(entry.keyNode, `${what} has no value.`);
      continue;
    }
    const binding = typeof value === 'string' ? parseBinding(value) : undefined;
    if (binding) {
      if (!bindingsAllowed)
        source.report(entry.value, `${what}: bindings like '${String(value)}' belong in pipeline steps.`);
      else
        result[entry.key] = {
          kind: 'binding',
          expression: String(value),
          binding,
          location: source.locate(entry.value),
        };
    } else if (typeof value === 'string' && value.includes('${{')) {
      source.report(
        entry.value,
        `${what} is '${value}'; a binding must be exactly \${{parent.inputs.NAME}} or \${{parent.jobs.STEP.outputs.NAME}}.`,
      );
    } else {
      result[entry.key] = { kind: 'literal', value, type: literalTypeOf(value) };
    }
  }
  return result;
}

export function literalTypeOf(value: string | number | boolean): LiteralType {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return 'string';
}

export function readOutputs(
  source: YamlSource,
  field: Field | undefined,
  owner: string,
  bindingsAllowed: boolean,
): Record<string, JobOutput> {
  const result: Record<string, JobOutput> = {};
  for (const entry of entries(source, field?.value ?? null, `${owner}'s 'outputs'`)) {
    const what = `Output '${entry.key}'`;
    if (entry.value !== null && isScalar(entry.value) && typeof entry.value.value === 'string') {
      const binding = parseBinding(entry.value.value);
      if (binding && bindingsAllowed && binding.kind === 'parent-output') {
        result[entry.key] = {
          kind: 'binding',
          expression: entry.value.value,
          binding,
          location: source.locate(entry.value),
        };
      } else {
        source.report(
          entry.value,
          `${what} must be {type: uri_folder, ...}${bindingsAllowed ? ' or ${{parent.outputs.NAME}}' : ''}.`,
        );
      }
      continue;
    }
    if (entry.value === null || (isScalar(entry.value) && entry.value.value === null)) {
      result[entry.key] = { kind: 'data', type: 'uri_folder', mode: undefined, path: undefined, empty: true };
      continue;
    }
    const f = fields(source, entry.value, what, ['type', 'mode', 'path', 'description']);
    result[entry.key] = {
      kind: 'data',
      type: oneOf(source, f.get('type'), `${what}'s 'type'`, DATA_TYPES) ?? 'uri_folder',
      mode: oneOf(source, f.get('mode'), `${what}'s 'mode'`, OUTPUT_MODES),
      path: text(source, f.get('path'), `${what}'s 'path'`),
    };
  }
  return result;
}

export function parseBinding(value: string): Binding | undefined {
  const m = BINDING.exec(value.trim());
  if (!m) return undefined;
  if (m[2]) return { kind: 'parent-input', name: m[2] };
  if (m[3]) return { kind: 'parent-output', name: m[3] };
  return { kind: 'step-output', step: m[4] ?? '', output: m[5] ?? '' };
}

/**
 * `environment: {image, conda_file, ...}` as azure-ai-ml's AnonymousEnvironmentSchema reads it. Its
 * `name` and `version` are taken and not used, as there: an anonymous environment is named by content.
 */
export function readInlineEnvironment(source: YamlSource, field: Field): InlineEnvironment | undefined {
  const f = fields(source, field.value, "The inline 'environment'", [
    'image',
    'conda_file',
    'build',
    'os_type',
    'description',
    'tags',
    'name',
    'version',
  ]);
  const build = f.has('build') ? readBuildContext(source, f.get('build')!) : undefined;
  if (f.has('build')) {
    if (build === undefined) return undefined;
    // azure-ai-ml's Environment.validate: "Docker image or Dockerfile should be provided not both".
    if (f.has('image')) {
      source.report(
        f.get('image')?.keyNode,
        "An inline 'environment' takes 'image' or a Docker 'build' context, not both (azure-ai-ml refuses both too).",
      );
      return undefined;
    }
    // A conda file beside a build context is not part of the build (azure-ai-ml names and builds the
    // environment from the folder alone), so it would be silently ignored: refuse it instead.
    if (f.has('conda_file')) {
      source.report(
        f.get('conda_file')?.keyNode,
        "An inline 'environment' with a Docker 'build' context takes its packages from the Dockerfile; 'conda_file' would be ignored. Install them in the Dockerfile, or use 'image' with 'conda_file'.",
      );
      return undefined;
    }
    return {
      kind: 'inline',
      image: undefined,
      condaFile: undefined,
      build,
      ...environmentDetails(source, f),
      version: undefined,
      identity: `build:${build.folder}:${build.dockerfilePath ?? ''}`,
      location: source.locate(field.value),
    };
  }
  const image = text(source, f.get('image'), "The inline environment's 'image'");
  if (image === undefined) {
    source.report(
      field.value,
      "An inline 'environment' needs 'image' (a Docker image, e.g. mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04).",
    );
    return undefined;
  }
  let conda: unknown;
  const condaField = f.get('conda_file');
  if (condaField?.value && isMap(condaField.value)) conda = source.pyYamlValue(condaField.value);
  else {
    const condaPath = text(source, condaField, "The inline environment's 'conda_file'");
    if (condaPath !== undefined) {
      const resolved = source.localPath(condaField?.value, condaPath, "'conda_file'");
      if (resolved === undefined) return undefined;
      if (!existsSync(resolved) || !statSync(resolved).isFile()) {
        source.report(
          condaField?.value,
          `'conda_file' '${condaPath}' does not exist (relative to ${source.displayPath}).`,
        );
        return undefined;
      }
      try {
        conda = parse(readFileSync(resolved, 'utf8'), { version: '1.1' });
      } catch (error) {
        source.report(
          condaField?.value,
          `'conda_file' '${condaPath}' is not YAML: ${(error as Error).message.split('\n')[0]}`,
        );
        return undefined;
      }
    }
  }
  const condaFile = conda === undefined || conda === null ? undefined : pyYamlDump(conda);
  const version = anonymousEnvironmentVersion({ image, condaFile });
  return {
    kind: 'inline',
    image,
    condaFile,
    build: undefined,
    ...environmentDetails(source, f),
    version,
    identity: version,
    location: source.locate(field.value),
  };
}

function environmentDetails(
  source: YamlSource,
  f: Map<string, Field>,
): Pick<InlineEnvironment, 'osType' | 'description' | 'tags'> {
  const osType = text(source, f.get('os_type'), "The inline environment's 'os_type'");
  if (osType !== undefined && !/^(linux|windows)$/i.test(osType))
    source.report(f.get('os_type')?.value, `'os_type' is '${osType}'; allowed values are 'linux', 'windows'.`);
  return {
    osType: osType === undefined ? undefined : /^windows$/i.test(osType) ? 'Windows' : 'Linux',
    description: text(source, f.get('description'), "The inline environment's 'description'"),
    tags: stringMap(source, f.get('tags'), "The inline environment's 'tags'"),
  };
}

/**
 * `build: {path, dockerfile_path}` as azure-ai-ml's BuildContextSchema reads it: a local folder
 * (uploaded, then named by its object hash). An http(s) context is taken by azure-ai-ml but never
 * given an anonymous name there, so it cannot be registered the way it does: refused, saying so.
 */
function readBuildContext(source: YamlSource, field: Field): InlineEnvironment['build'] {
  const f = fields(source, field.value, "The inline environment's 'build'", ['path', 'dockerfile_path']);
  const where = "The inline environment's 'build'";
  const written = text(source, f.get('path'), `${where} 'path'`);
  const dockerfilePath = text(source, f.get('dockerfile_path'), `${where} 'dockerfile_path'`);
  if (written === undefined) {
    source.report(field.keyNode, `${where} needs 'path' (the folder with the Dockerfile, relative to the file).`);
    return undefined;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(written)) {
    source.report(
      f.get('path')?.value,
      `${where} 'path' is '${written}': a remote build context is not supported; give a folder of the repository, or register the environment with action-register and refer to it as azureml:NAME:VERSION.`,
    );
    return undefined;
  }
  const folder = source.localPath(f.get('path')?.value, written, `${where} 'path'`);
  if (folder === undefined) return undefined;
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    source.report(
      f.get('path')?.value,
      `${where} 'path' '${written}' is not a folder (relative to ${source.displayPath}).`,
    );
    return undefined;
  }
  const dockerfile = path.join(folder, dockerfilePath ?? 'Dockerfile');
  if (!existsSync(dockerfile) || !statSync(dockerfile).isFile()) {
    source.report(
      f.get(dockerfilePath === undefined ? 'path' : 'dockerfile_path')?.value,
      `The build context '${written}' has no ${dockerfilePath ?? 'Dockerfile'}${dockerfilePath === undefined ? " (set 'dockerfile_path' if it has another name)" : ''}.`,
    );
    return undefined;
  }
  return { folder, dockerfilePath };
}

export function readCommandSpec(source: YamlSource, f: Map<string, Field>, owner: string): CommandSpec | undefined {
  const command = text(source, f.get('command'), "'command'");
  const environmentField = f.get('environment');
  const inline = isMap(environmentField?.value ?? null);
  const environment = inline
    ? readInlineEnvironment(source, environmentField!)
    : text(source, environmentField, "'environment'");
  const anchor = f.get('command')?.keyNode ?? environmentField?.keyNode;
  if (command === undefined) source.report(anchor, `${owner} needs 'command'.`);
  if (environment === undefined) {
    if (!inline)
      source.report(
        anchor,
        `${owner} needs 'environment' (azureml:NAME:VERSION, azureml:NAME@latest, or an inline image and conda_file).`,
      );
  } else if (
    typeof environment === 'string' &&
    !ASSET_REFERENCE.test(environment) &&
    !REGISTRY_ENVIRONMENT.test(environment)
  ) {
    source.report(
      f.get('environment')?.value,
      `'environment' is '${environment}'; it must be azureml:NAME:VERSION, azureml:NAME@latest or a registry environment (azureml://registries/REGISTRY/environments/NAME/versions/VERSION or .../labels/latest).`,
    );
  }
  const codeText = text(source, f.get('code'), "'code'");
  let code: CommandSpec['code'];
  if (codeText !== undefined) {
    if (codeText.startsWith('azureml:')) {
      if (!ASSET_REFERENCE.test(codeText))
        source.report(
          f.get('code')?.value,
          `'code' is '${codeText}'; a registered code asset is azureml:NAME:VERSION.`,
        );
      code = { kind: 'asset', reference: codeText };
    } else {
      const resolved = source.localPath(f.get('code')?.value, codeText, "'code'");
      if (resolved === undefined) return undefined;
      if (!existsSync(resolved) || !statSync(resolved).isDirectory())
        source.report(
          f.get('code')?.value,
          `'code' folder '${codeText}' does not exist (relative to ${source.displayPath}).`,
        );
      code = { kind: 'local', path: resolved };
    }
  }
  const run = readRunSettings(source, f);
  if (command === undefined || environment === undefined) return undefined;
  return { command, code, environment, ...run, location: source.locate(f.get('command')?.value) };
}

/** `resources`, `distribution`, `limits` and `environment_variables` of a command, a job or a step. */
export function readRunSettings(source: YamlSource, f: Map<string, Field>): StepRunSettings {
  const resources = fields(source, f.get('resources')?.value ?? null, "'resources'", [
    'instance_count',
    'instance_type',
    'shm_size',
    'docker_args',
    'properties',
  ]);
  // Read but not sent: refused by name rather than dropped.
  for (const key of ['docker_args', 'properties'])
    if (resources.has(key))
      source.report(resources.get(key)?.keyNode, `'resources.${key}' is not sent by action-pipeline yet; remove it.`);
  const limits = fields(source, f.get('limits')?.value ?? null, "'limits'", ['timeout']);
  return {
    environmentVariables: stringMap(source, f.get('environment_variables'), "'environment_variables'"),
    instanceCount: integer(source, resources.get('instance_count'), "'instance_count'", 1, 1000),
    instanceType: text(source, resources.get('instance_type'), "'instance_type'"),
    shmSize: text(source, resources.get('shm_size'), "'shm_size'"),
    distribution: distributionOf(source, f.get('distribution')),
    timeoutSeconds: integer(source, limits.get('timeout'), "limits' 'timeout' (seconds)", 1, 30 * 24 * 3600),
  };
}

/** A component input's `min`, `max` (number and integer inputs) and `enum` (string lists), checked. */
function portBounds(
  source: YamlSource,
  p: Map<string, Field>,
  name: string,
  type: DataType | LiteralType,
): Pick<ComponentPort, 'min' | 'max' | 'enum'> {
  const bound = (key: 'min' | 'max'): number | undefined => {
    const value = scalar(source, p.get(key), `Input '${name}''s '${key}'`);
    if (value === undefined) return undefined;
    if (type !== 'number' && type !== 'integer') {
      source.report(
        p.get(key)?.keyNode,
        `Input '${name}' is of type ${type}; '${key}' applies to number and integer inputs.`,
      );
      return undefined;
    }
    if (typeof value !== 'number' || (type === 'integer' && !Number.isInteger(value))) {
      source.report(
        p.get(key)?.value,
        `Input '${name}''s '${key}' is '${String(value)}'; it must be ${type === 'integer' ? 'an integer' : 'a number'}.`,
      );
      return undefined;
    }
    return value;
  };
  const enumField = p.get('enum');
  let values: string[] | undefined;
  if (enumField) {
    const node = enumField.value;
    if (
      !isSeq(node) ||
      !node.items.every((item) => isScalar(item) && item.value !== null && typeof item.value !== 'object')
    )
      source.report(node ?? enumField.keyNode, `Input '${name}''s 'enum' must be a list of values.`);
    else values = node.items.map((item) => String((item as { value: unknown }).value));
  }
  return { min: bound('min'), max: bound('max'), enum: values };
}

/**
 * What a job runs that needs its code and environment resolved: a command job's command, a sweep's
 * trial, a Spark job, and each pipeline step's that is not a registered component.
 */
export function commandsOf(job: JobDefinition): CodeAndEnvironment[] {
  if (job.type === 'command') return [job.spec];
  if (job.type === 'sweep') return [job.trial];
  if (job.type === 'spark') return [job.spark];
  if (job.type === 'pipeline')
    return job.steps.flatMap((s) =>
      s.source.kind === 'inline' || s.source.kind === 'file'
        ? [s.source.spec]
        : s.source.kind === 'typed'
          ? typedRunnables(s.source.step)
          : [],
    );
  return [];
}

/** An inline environment in a log line or plan: what it is built from, relative to the working folder. */
export function describeInlineEnvironment(environment: InlineEnvironment): string {
  if (environment.build)
    return `Docker build context ${path.relative(process.cwd(), environment.build.folder) || '.'}${environment.build.dockerfilePath ? `, ${environment.build.dockerfilePath}` : ''}`;
  return `${environment.image}${environment.condaFile ? ' + conda file' : ''}`;
}

/** The distinct inline environments of a job. */
export function inlineEnvironmentsOf(job: JobDefinition): InlineEnvironment[] {
  const byIdentity = new Map<string, InlineEnvironment>();
  for (const { environment } of commandsOf(job))
    if (environment !== undefined && typeof environment !== 'string' && !byIdentity.has(environment.identity))
      byIdentity.set(environment.identity, environment);
  return [...byIdentity.values()];
}

/** `${{inputs.x}}` and `${{outputs.y}}` in a command must name the step's own inputs and outputs. */
export function checkCommandBindings(source: YamlSource, f: Map<string, Field>): void {
  const commandField = f.get('command');
  const command = commandField?.value && isScalar(commandField.value) ? String(commandField.value.value) : '';
  // Names as the file declares them: an input refused for another reason is still declared.
  const declaredIn = (key: string): string[] => {
    const node = f.get(key)?.value;
    return isMap(node) ? node.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key)) : [];
  };
  for (const match of command.matchAll(/\$\{\{\s*(inputs|outputs)\.([\w.]+)\s*\}\}/g)) {
    const [, kind = 'inputs', name = ''] = match;
    const declared = declaredIn(kind);
    if (!declared.includes(name))
      source.report(
        commandField?.value,
        `'command' uses \${{${kind}.${name}}}, but ${kind} declares ${declared.length ? declared.join(', ') : 'nothing'}.`,
      );
  }
}

/** The pipeline `settings` azure-ai-ml's PipelineJobSettingsSchema declares. */
export const SETTINGS_KEYS = ['default_compute', 'default_datastore', 'continue_on_step_failure', 'force_rerun'];

function readPipeline(
  source: YamlSource,
  f: Map<string, Field>,
  common: CommonJobFields,
  workspaceRoot: string,
  extra: YamlSource[],
): PipelineJob | undefined {
  // Pipeline-level inputs may not bind to anything; steps may.
  const settingsEntries = entries(source, f.get('settings')?.value ?? null, "'settings'");
  const settings = new Map(settingsEntries.filter((e) => SETTINGS_KEYS.includes(e.key)).map((e) => [e.key, e]));
  const extraSettings = settingsEntries
    .filter((e) => !SETTINGS_KEYS.includes(e.key))
    .map((e) => ({
      key: e.key,
      value: e.value === null ? null : source.pyYamlValue(e.value),
      suggestion: closeName(e.key, SETTINGS_KEYS),
      location: source.locate(e.keyNode),
    }));
  const defaultCompute = computeName(source, settings.get('default_compute'));
  const datastore = text(source, settings.get('default_datastore'), "'default_datastore'");
  const defaultDatastore = datastore?.replace(/^azureml:/, '');
  if (defaultDatastore !== undefined && !/^[A-Za-z0-9_]+$/.test(defaultDatastore))
    source.report(
      settings.get('default_datastore')?.value,
      `'default_datastore' is '${datastore}'; it must be a datastore name (azureml:NAME).`,
    );
  const continueValue = scalar(source, settings.get('continue_on_step_failure'), "'continue_on_step_failure'");
  const forceRerun = scalar(source, settings.get('force_rerun'), "'force_rerun'");
  for (const [key, value] of [
    ['continue_on_step_failure', continueValue],
    ['force_rerun', forceRerun],
  ] as const)
    if (value !== undefined && typeof value !== 'boolean')
      source.report(settings.get(key)?.value, `'${key}' is '${String(value)}'; it must be true or false.`);
  const jobsField = f.get('jobs');
  const steps: PipelineStep[] = [];
  const readSteps: StepRead[] = [];
  for (const entry of entries(source, jobsField?.value ?? null, "'jobs'")) {
    if (!/^[A-Za-z_][\w-]{0,254}$/.test(entry.key))
      source.report(
        entry.keyNode,
        `Step name '${entry.key}' must start with a letter or '_' and hold letters, digits, '_' or '-'.`,
      );
    const read = readStep(source, entry, workspaceRoot, extra);
    if (!read) continue;
    readSteps.push(read);
    if (read.source) steps.push({ ...read, source: read.source });
  }
  // Steps refused for their own reasons were reported already: no second, false problem.
  if (!jobsField || entries(source, jobsField.value, "'jobs'").length === 0)
    source.report(
      jobsField?.keyNode ?? (source.document.contents as Node),
      "A pipeline job needs 'jobs' with at least one step.",
    );
  checkPipelineBindings(source, common, readSteps);
  return {
    ...common,
    type: 'pipeline',
    defaultCompute,
    defaultDatastore,
    continueOnStepFailure: typeof continueValue === 'boolean' ? continueValue : undefined,
    forceRerun: typeof forceRerun === 'boolean' ? forceRerun : undefined,
    extraSettings,
    steps,
  };
}

/** A step as read, with `source` undefined when its definition has problems (reported already). */
type StepRead = Omit<PipelineStep, 'source'> & { source: StepSource | undefined };

function readStep(source: YamlSource, entry: Field, workspaceRoot: string, extra: YamlSource[]): StepRead | undefined {
  const what = `Step '${entry.key}'`;
  if (isMap(entry.value) && entry.value.get('type') === 'automl') return readAutoMLStep(source, entry, what);
  const typeNode = isMap(entry.value) ? entry.value.get('type', true) : undefined;
  const typed = TYPED_STEP_TYPES.find((t) => isScalar(typeNode) && typeNode.value === t);
  if (typed) {
    const f = fields(source, entry.value, what, typedStepKeys(typed));
    const inputs = readInputs(source, f.get('inputs'), what, true);
    const outputs = readOutputs(source, f.get('outputs'), what, true);
    const step = readTypedStep(source, f, typed, what, workspaceRoot, extra, inputs, outputs);
    return {
      name: entry.key,
      displayName: text(source, f.get('display_name'), `${what}'s 'display_name'`),
      compute: computeName(source, f.get('compute'), true),
      inputs,
      outputs,
      location: source.locate(entry.keyNode),
      source: step && { kind: 'typed', step },
    };
  }
  const f = fields(source, entry.value, what, [
    'type',
    'component',
    'command',
    'code',
    'environment',
    'environment_variables',
    'resources',
    'limits',
    'distribution',
    'inputs',
    'outputs',
    'compute',
    'display_name',
    'description',
    'tags',
    'services',
  ]);
  const type = text(source, f.get('type'), `${what}'s 'type'`) ?? 'command';
  if (type !== 'command') {
    source.report(f.get('type')?.value, `${what} has type '${type}'; action-pipeline supports command steps.`);
    return undefined;
  }
  const inputs = readInputs(source, f.get('inputs'), what, true);
  const outputs = readOutputs(source, f.get('outputs'), what, true);
  const base = {
    name: entry.key,
    displayName: text(source, f.get('display_name'), `${what}'s 'display_name'`),
    compute: computeName(source, f.get('compute'), true),
    inputs,
    outputs,
    services: readServices(source, f.get('services')),
    location: source.locate(entry.keyNode),
  };
  const componentField = f.get('component');
  if (componentField) {
    for (const key of ['command', 'code', 'environment'])
      if (f.has(key)) source.report(f.get(key)?.keyNode, `${what} has both 'component' and '${key}'; use one.`);
    const reference = text(source, componentField, `${what}'s 'component'`);
    if (reference === undefined) return undefined;
    if (reference.startsWith('azureml://registries/')) {
      // Registry components need the registry's own API (registries/{name}/components), which
      // action-pipeline does not call yet: said plainly instead of calling the reference malformed.
      source.report(
        componentField.value,
        `${what}'s 'component' is '${reference}', a registry component: action-pipeline runs workspace components (azureml:NAME:VERSION or azureml:NAME@latest) and does not resolve registry components yet; register the component in the workspace, or submit this file with az ml job create.`,
      );
      return undefined;
    }
    if (reference.startsWith('azureml:')) {
      // NAME@latest is resolved to the latest version, as azure-ai-ml resolves it (_operation_orchestrator.py).
      if (!/^azureml:[A-Za-z0-9][\w.-]*(:[\w.-]+|@latest)$/.test(reference)) {
        source.report(
          componentField.value,
          `${what}'s 'component' is '${reference}'; use azureml:NAME:VERSION or azureml:NAME@latest.`,
        );
        return undefined;
      }
      return {
        ...base,
        run: readRunSettings(source, f),
        source: { kind: 'registered', reference, location: source.locate(componentField.value) },
      };
    }
    // Confined like `code:` and `path:`: a component file outside the repository (absolute, `..`,
    // a symbolic link) is refused, as its code would be uploaded.
    const file = source.localPath(componentField.value, reference.replace(/^file:/, ''), `${what}'s component file`);
    if (file === undefined) return undefined;
    if (!existsSync(file) || !statSync(file).isFile()) {
      source.report(
        componentField.value,
        `${what}'s component file '${reference}' does not exist (relative to ${source.displayPath}).`,
      );
      return undefined;
    }
    const component = readComponentFile(file, workspaceRoot, extra);
    if (!component) return { ...base, source: undefined };
    Object.assign(base, { run: readRunSettings(source, f) });
    for (const name of Object.keys(inputs))
      if (!(name in component.inputs))
        source.report(
          entries(source, f.get('inputs')?.value ?? null, what).find((e) => e.key === name)?.keyNode,
          `${what} sets input '${name}', which component ${reference} does not declare (it has ${Object.keys(component.inputs).join(', ') || 'none'}).`,
        );
    for (const [name, port] of Object.entries(component.inputs))
      if (!(name in inputs) && !port.optional && port.default === undefined)
        source.report(entry.keyNode, `${what} does not set input '${name}', which component ${reference} requires.`);
    return { ...base, source: component };
  }
  const spec = readCommandSpec(source, f, what);
  checkCommandBindings(source, f);
  return { ...base, source: spec && { kind: 'inline', spec } };
}

/** The keys of an AutoML step besides its task's: azure-ai-ml's AutoMLJobSchema as a pipeline node. */
const AUTOML_STEP_KEYS = [
  'type',
  'name',
  'display_name',
  'description',
  'tags',
  'properties',
  'experiment_name',
  'compute',
  'outputs',
  'identity',
  ...AUTOML_JOB_KEYS,
];

/** A `type: automl` step: the task read as for an AutoML job, its data bound to pipeline inputs or step outputs. */
function readAutoMLStep(source: YamlSource, entry: Field, what: string): StepRead | undefined {
  const f = fields(source, entry.value, what, [...AUTOML_STEP_KEYS, ...allTaskKeys()]);
  for (const key of [
    'resources',
    'queue_settings',
    'environment_id',
    'environment_variables',
    'identity',
    'experiment_name',
    'properties',
    'tags',
    'description',
  ])
    if (f.has(key))
      source.report(
        f.get(key)?.keyNode,
        `${what}: '${key}' on an AutoML step is not sent by action-pipeline yet; set it on the pipeline, or remove it.`,
      );
  const spec = readAutoMLTask(source, f, what, (field, w) => readAutoMLData(source, field, w, true), entry.keyNode);
  return {
    name: entry.key,
    displayName: text(source, f.get('display_name'), `${what}'s 'display_name'`),
    compute: computeName(source, f.get('compute')),
    inputs: {},
    outputs: readOutputs(source, f.get('outputs'), what, true),
    location: source.locate(entry.keyNode),
    source: spec && { kind: 'automl', spec },
  };
}

export function readComponentFile(
  file: string,
  workspaceRoot: string,
  extra: YamlSource[],
): Extract<StepSource, { kind: 'file' }> | undefined {
  const source = new YamlSource(file, displayPath(file, workspaceRoot), workspaceRoot);
  extra.push(source);
  if (source.problems.length > 0) return undefined;
  const f = fields(source, source.document.contents as Node, 'A command component', [
    '$schema',
    'type',
    'name',
    'version',
    'display_name',
    'description',
    'tags',
    'is_deterministic',
    'inputs',
    'outputs',
    'command',
    'code',
    'environment',
    'environment_variables',
    'resources',
    'distribution',
    'limits',
  ]);
  const type = text(source, f.get('type'), "'type'") ?? 'command';
  if (type !== 'command') {
    source.report(
      f.get('type')?.value,
      `Component type '${type}' is not supported; action-pipeline runs command components.`,
    );
    return undefined;
  }
  const inputs: Record<string, ComponentPort> = {};
  for (const entry of entries(source, f.get('inputs')?.value ?? null, "'inputs'")) {
    const p = fields(source, entry.value, `Input '${entry.key}'`, [
      'type',
      'optional',
      'default',
      'description',
      'min',
      'max',
      'enum',
      'mode',
    ]);
    const portType = oneOf(source, p.get('type'), `Input '${entry.key}''s 'type'`, [...DATA_TYPES, ...LITERAL_TYPES]);
    if (!portType) {
      if (!p.has('type')) source.report(entry.keyNode, `Input '${entry.key}' needs 'type'.`);
      continue;
    }
    inputs[entry.key] = {
      type: portType,
      optional: scalar(source, p.get('optional'), "'optional'") === true,
      default: scalar(source, p.get('default'), "'default'"),
      description: text(source, p.get('description'), "'description'"),
      ...portBounds(source, p, entry.key, portType),
    };
  }
  const outputs: Record<string, { type: DataType }> = {};
  for (const entry of entries(source, f.get('outputs')?.value ?? null, "'outputs'")) {
    const p = fields(source, entry.value, `Output '${entry.key}'`, ['type', 'description', 'mode']);
    outputs[entry.key] = {
      type: oneOf(source, p.get('type'), `Output '${entry.key}''s 'type'`, DATA_TYPES) ?? 'uri_folder',
    };
  }
  const spec = readCommandSpec(source, f, 'A command component');
  checkCommandBindings(source, f);
  if (!spec) return undefined;
  return {
    kind: 'file',
    path: file,
    schema: text(source, f.get('$schema'), "'$schema'"),
    name: text(source, f.get('name'), "'name'"),
    version: text(source, f.get('version'), "'version'"),
    displayName: text(source, f.get('display_name'), "'display_name'"),
    description: text(source, f.get('description'), "'description'"),
    inputs,
    outputs,
    spec,
  };
}

/** Every ${{parent...}} binding must name a pipeline input or an output of another step. */
function checkPipelineBindings(source: YamlSource, job: CommonJobFields, steps: StepRead[]): void {
  const stepNames = steps.map((s) => s.name);
  const outputsOf = (step: StepRead): string[] | undefined =>
    step.source?.kind === 'typed'
      ? Object.keys(typedOutputs(step.source.step, step.outputs) ?? {})
      : step.source?.kind === 'file'
        ? Object.keys(step.source.outputs)
        : step.source?.kind === 'inline'
          ? Object.keys(step.outputs)
          : step.source?.kind === 'automl'
            ? [...new Set(['best_model', ...Object.keys(step.outputs)])] // every AutoML job outputs best_model
            : undefined; // a registered component's outputs are checked against its spec at submission
  for (const step of steps) {
    const bindings = [
      ...Object.values(step.inputs).flatMap((i) => (i.kind === 'binding' ? [i] : [])),
      ...Object.values(step.outputs).flatMap((o) => (o.kind === 'binding' ? [o] : [])),
      ...(step.source?.kind === 'automl'
        ? Object.values(step.source.spec.data).flatMap((d) => (d.kind === 'binding' ? [d] : []))
        : []),
    ];
    const computeBinding = step.compute?.startsWith('${{') ? parseBinding(step.compute) : undefined;
    if (computeBinding && step.compute)
      bindings.push({ kind: 'binding', binding: computeBinding, expression: step.compute, location: step.location });
    for (const { binding, expression, location } of bindings) {
      const problem = (message: string) =>
        source.problems.push({ message: `Step '${step.name}': ${expression} ${message}`, location });
      if (binding.kind === 'parent-input' && !(binding.name in job.inputs))
        problem(
          `names pipeline input '${binding.name}', but the pipeline's inputs are ${Object.keys(job.inputs).join(', ') || 'none'}.`,
        );
      if (binding.kind === 'parent-output' && !(binding.name in job.outputs))
        problem(
          `names pipeline output '${binding.name}', but the pipeline's outputs are ${Object.keys(job.outputs).join(', ') || 'none'}.`,
        );
      if (binding.kind === 'step-output') {
        const other = steps.find((s) => s.name === binding.step);
        if (!other) problem(`names step '${binding.step}', but the steps are ${stepNames.join(', ')}.`);
        else if (other === step) problem('binds a step to its own output.');
        else {
          const declared = outputsOf(other);
          if (declared && !declared.includes(binding.output))
            problem(
              `names output '${binding.output}' of step '${binding.step}', which declares ${declared.join(', ') || 'no outputs'}.`,
            );
        }
      }
    }
  }
}

function readAutoML(
  source: YamlSource,
  f: Map<string, Field>,
  common: CommonJobFields,
  root: Node,
): AutoMLJob | undefined {
  const spec = readAutoMLTask(
    source,
    f,
    'An automl job',
    (field, what) => readAutoMLData(source, field, what, false),
    root,
  );
  const resources = f.get('resources') && readTable(source, f.get('resources')!.value, RESOURCES, "'resources'");
  const queue =
    f.get('queue_settings') && readTable(source, f.get('queue_settings')!.value, QUEUE_SETTINGS, "'queue_settings'");
  const environmentId = text(source, f.get('environment_id'), "'environment_id'");
  const environmentVariables = stringMap(source, f.get('environment_variables'), "'environment_variables'");
  if (!spec) return undefined;
  return {
    ...common,
    type: 'automl',
    spec,
    resources: resources ? (resources.rest as Record<string, unknown>) : undefined,
    queueSettings: queue ? (queue.rest as Record<string, unknown>) : undefined,
    environmentId,
    environmentVariables,
  };
}

/**
 * An AutoML task's data (MLTableInputSchema: `type: mltable` and a `path`): a registered asset, a URI,
 * a local MLTable folder (uploaded as azure-ai-ml uploads it), or in a pipeline step a binding.
 */
function readAutoMLData(
  source: YamlSource,
  field: Field,
  what: string,
  bindingsAllowed: boolean,
): JobInput | undefined {
  const value = field.value;
  if (value && isScalar(value) && typeof value.value === 'string') {
    const binding = parseBinding(value.value);
    if (binding && bindingsAllowed)
      return { kind: 'binding', expression: value.value, binding, location: source.locate(value) };
    source.report(
      value,
      `${what} must be {type: mltable, path: ...}${bindingsAllowed ? ' or a binding such as ${{parent.inputs.NAME}}' : ''}.`,
    );
    return undefined;
  }
  const d = fields(source, value, what, ['type', 'path', 'mode', 'description']);
  if (d.has('type')) oneOf(source, d.get('type'), `${what} type`, ['mltable']);
  const dataPath = text(source, d.get('path'), `${what} path`);
  if (dataPath === undefined) {
    source.report(field.keyNode, `${what} needs 'path': an MLTable folder, azureml:NAME:VERSION or a URI.`);
    return undefined;
  }
  const mode = oneOf(source, d.get('mode'), `${what} mode`, INPUT_MODES);
  const binding = parseBinding(dataPath);
  if (binding) {
    if (bindingsAllowed)
      return { kind: 'binding', expression: dataPath, binding, location: source.locate(d.get('path')?.value) };
    source.report(d.get('path')?.value, `${what}: bindings like '${dataPath}' belong in pipeline steps.`);
    return undefined;
  }
  const local = !/^(azureml:|https?:\/\/|wasbs?:\/\/|abfss?:\/\/|adl:\/\/)/i.test(dataPath);
  const resolved = local ? source.localPath(d.get('path')?.value, dataPath, `${what} path`) : dataPath;
  if (resolved === undefined) return undefined;
  if (local && !existsSync(resolved)) {
    source.report(
      d.get('path')?.value,
      `${what} path '${dataPath}' does not exist (relative to ${source.displayPath}).`,
    );
    return undefined;
  }
  return { kind: 'data', type: 'mltable', path: resolved, local, mode };
}
