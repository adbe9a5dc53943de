// The job file as Azure ML's REST API (2022-10-01) takes it, in the shapes azure-ai-ml sends:
// command and AutoML jobs as typed JobBase properties; pipeline steps as nodes that point at
// components (inline steps and local component files become anonymous components, named
// azureml_anonymous with a content hash as version, as azure-ai-ml registers them); a published
// pipeline as a pipeline component that jobs and schedules are created from.
// Everything here is pure: ids of uploaded code, environments and components come in `Resolved`.

import { createHash } from 'node:crypto';
import type { AutoMLSpec } from './automl/read.js';
import type {
  AutoMLJob,
  SparkJob,
  SweepJob,
  CommandJob,
  DataType,
  InlineEnvironment,
  JobInput,
  JobOutput,
  LiteralType,
  PipelineJob,
  PipelineStep,
  StepRunSettings,
} from './jobFile.js';
import { nodeTaskFields, taskDetails } from './automl/body.js';
import { sparkJobRest } from './jobFile/spark.js';
import { typedNodeFields, typedOutputs, type TypedResolution, type TypedStep } from './jobFile/steps.js';
import { sweepRestSettings } from './jobFile/sweep.js';

export const ANONYMOUS_COMPONENT_NAME = 'azureml_anonymous';
const PIPELINE_COMPONENT_SCHEMA = 'https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json';

const INPUT_MODES: Record<string, string> = {
  ro_mount: 'ReadOnlyMount',
  rw_mount: 'ReadWriteMount',
  download: 'Download',
  direct: 'Direct',
  eval_mount: 'EvalMount',
  eval_download: 'EvalDownload',
};
// Direct: 2024-04-01 on (jobs are submitted at that version, shared/azure/armRequest.ts).
const OUTPUT_MODES: Record<string, string> = { rw_mount: 'ReadWriteMount', upload: 'Upload', direct: 'Direct' };

/** What the run resolved before building bodies: ARM ids and URIs by the object they belong to. */
export interface Resolved {
  computeId(name: string): string;
  /** ARM id of the code of a command (uploaded folder or registered asset). */
  codeIds: Map<object, string>;
  /** ARM id of a command's environment. */
  environmentIds: Map<object, string>;
  /** URI of a local data input after upload. */
  dataUris: Map<object, string>;
  /** ARM id of the component each pipeline step runs. */
  componentIds: Map<PipelineStep, string>;
  /** Output types of registered components' outputs, by step, for bindings' types. */
  registeredOutputs: Map<PipelineStep, Record<string, DataType>>;
  /** The datastore's ARM id (settings.default_datastore). */
  datastoreId?: (name: string) => string;
}

type Json = Record<string, unknown>;

/** A literal as azure-ai-ml sends it: booleans as Python writes them (True/False), as scripts expect. */
function literal(value: string | number | boolean): string {
  return typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value);
}

export function jobInput(input: JobInput, resolved: Resolved): Json {
  if (input.kind === 'literal') return { jobInputType: 'literal', value: literal(input.value) };
  if (input.kind === 'binding') return { jobInputType: 'literal', value: input.expression };
  return {
    jobInputType: input.type,
    uri: input.local ? (resolved.dataUris.get(input) ?? input.path) : input.path,
    ...(input.mode ? { mode: INPUT_MODES[input.mode] } : {}),
  };
}

export function jobOutput(output: JobOutput): Json {
  if (output.kind === 'binding') return { jobOutputType: 'uri_folder' };
  return {
    jobOutputType: output.type,
    ...(output.mode ? { mode: OUTPUT_MODES[output.mode] } : {}),
    ...(output.path ? { uri: output.path } : {}),
  };
}

function mapValues<T, R>(record: Record<string, T>, f: (value: T) => R): Record<string, R> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}

export interface JobMetadata {
  displayName: string;
  experimentName: string;
  description: string | undefined;
  tags: Record<string, string>;
  properties: Record<string, string>;
}

/**
 * The properties of an inline environment's anonymous version. A build context goes as azure-ai-ml
 * 1.35 sends it (tests/interop/captured/build-context-*.json): the https URL of its uploaded folder
 * with a trailing '/', the Dockerfile's path only when the file names one, os type and tags only
 * when written.
 */
export function inlineEnvironmentBody(environment: InlineEnvironment, contextUri?: string): Json {
  const described = environment.description ? { description: environment.description } : {};
  if (environment.build) {
    if (contextUri === undefined) throw new Error('a build context environment needs its uploaded folder');
    return {
      isAnonymous: true,
      build: {
        contextUri,
        ...(environment.build.dockerfilePath ? { dockerfilePath: environment.build.dockerfilePath } : {}),
      },
      ...(environment.osType ? { osType: environment.osType } : {}),
      ...described,
      ...(Object.keys(environment.tags).length ? { tags: environment.tags } : {}),
    };
  }
  return {
    isAnonymous: true,
    image: environment.image,
    ...(environment.condaFile ? { condaFile: environment.condaFile } : {}),
    osType: environment.osType ?? 'Linux',
    ...described,
    tags: environment.tags,
  };
}

function base(meta: JobMetadata): Json {
  return {
    displayName: meta.displayName,
    experimentName: meta.experimentName,
    ...(meta.description ? { description: meta.description } : {}),
    tags: meta.tags,
    properties: meta.properties,
  };
}

export function commandJobBody(
  job: CommandJob,
  meta: JobMetadata,
  resolved: Resolved,
  compute: string | undefined,
): Json {
  const spec = job.spec;
  return {
    ...base(meta),
    jobType: 'Command',
    command: spec.command,
    environmentId: resolved.environmentIds.get(spec),
    ...(resolved.codeIds.has(spec) ? { codeId: resolved.codeIds.get(spec) } : {}),
    ...(compute ? { computeId: resolved.computeId(compute) } : {}),
    environmentVariables: spec.environmentVariables,
    inputs: mapValues(job.inputs, (i) => jobInput(i, resolved)),
    outputs: mapValues(job.outputs, jobOutput),
    ...(spec.instanceCount || spec.instanceType || spec.shmSize
      ? {
          resources: dropUndefined({
            instanceCount: spec.instanceCount ?? 1,
            instanceType: spec.instanceType,
            shmSize: spec.shmSize,
          }),
        }
      : {}),
    ...(spec.distribution ? { distribution: spec.distribution } : {}),
    ...(job.identity ? { identity: { identityType: job.identity } } : {}),
    ...(job.services ? { services: job.services } : {}),
    // As isodate writes it, as azure-ai-ml sends it (900 → PT15M; the corpus parity of deepspeed-training).
    ...(spec.timeoutSeconds ? { limits: { jobLimitsType: 'Command', timeout: isoDuration(spec.timeoutSeconds) } } : {}),
  };
}

/** A sweep job (SweepJob, 2024-04-01): the trial is a command without inputs of its own. */
export function sweepJobBody(job: SweepJob, meta: JobMetadata, resolved: Resolved, compute: string | undefined): Json {
  const trial = job.trial;
  return {
    ...base(meta),
    jobType: 'Sweep',
    ...(compute ? { computeId: resolved.computeId(compute) } : {}),
    inputs: mapValues(job.inputs, (i) => jobInput(i, resolved)),
    outputs: mapValues(job.outputs, jobOutput),
    ...(job.identity ? { identity: { identityType: job.identity } } : {}),
    ...sweepRestSettings(job.sweep),
    trial: {
      command: trial.command,
      environmentId: resolved.environmentIds.get(trial),
      ...(resolved.codeIds.has(trial) ? { codeId: resolved.codeIds.get(trial) } : {}),
      environmentVariables: trial.environmentVariables,
      ...(trial.instanceCount || trial.instanceType || trial.shmSize
        ? {
            resources: dropUndefined({
              instanceCount: trial.instanceCount ?? 1,
              instanceType: trial.instanceType,
              shmSize: trial.shmSize,
            }),
          }
        : {}),
      ...(trial.distribution ? { distribution: trial.distribution } : {}),
    },
  };
}

/** A Spark job (SparkJob, 2024-04-01). */
export function sparkJobBody(job: SparkJob, meta: JobMetadata, resolved: Resolved, compute: string | undefined): Json {
  return {
    ...base(meta),
    ...(compute ? { computeId: resolved.computeId(compute) } : {}),
    inputs: mapValues(job.inputs, (i) => jobInput(i, resolved)),
    outputs: mapValues(job.outputs, jobOutput),
    ...sparkJobRest(
      { ...job, compute },
      { codeId: resolved.codeIds.get(job.spark), environmentId: resolved.environmentIds.get(job.spark) },
    ),
  };
}

export function autoMLJobBody(
  job: AutoMLJob,
  meta: JobMetadata,
  resolved: Resolved,
  compute: string | undefined,
): Json {
  return {
    ...base(meta),
    jobType: 'AutoML',
    ...(compute ? { computeId: resolved.computeId(compute) } : {}),
    ...(job.environmentId ? { environmentId: job.environmentId } : {}),
    ...(Object.keys(job.environmentVariables).length ? { environmentVariables: job.environmentVariables } : {}),
    ...(job.resources ? { resources: job.resources } : {}),
    ...(job.queueSettings ? { queueSettings: job.queueSettings } : {}),
    ...(job.identity ? { identity: { identityType: job.identity } } : {}),
    outputs: { best_model: { jobOutputType: 'mlflow_model' }, ...mapValues(job.outputs, jobOutput) },
    taskDetails: taskDetails(job.spec, (input) => dataUri(input, resolved)),
  };
}

/** A data input's URI: its upload's when it is a local folder, else as written. */
function dataUri(input: JobInput, resolved: Resolved): string {
  if (input.kind !== 'data') return input.kind === 'binding' ? input.expression : String(input.value);
  return input.local ? (resolved.dataUris.get(input) ?? input.path) : input.path;
}

function dropUndefined(record: Json): Json {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

/** The type a step input has in its component's interface. */
function stepInputType(
  job: PipelineJob,
  step: PipelineStep,
  input: JobInput,
  resolved: Resolved,
): DataType | LiteralType {
  if (input.kind === 'literal') return input.type;
  if (input.kind === 'data') return input.type;
  const b = input.binding;
  if (b.kind === 'parent-input') {
    const parent = job.inputs[b.name];
    return parent && parent.kind !== 'binding' ? parent.type : 'string';
  }
  if (b.kind === 'step-output') {
    const other = job.steps.find((s) => s.name === b.step);
    if (!other || other === step) return 'uri_folder';
    if (other.source.kind === 'file') return other.source.outputs[b.output]?.type ?? 'uri_folder';
    if (other.source.kind === 'registered') return resolved.registeredOutputs.get(other)?.[b.output] ?? 'uri_folder';
    if (other.source.kind === 'automl' && b.output === 'best_model') return 'mlflow_model';
    if (other.source.kind === 'typed')
      return typedOutputs(other.source.step, other.outputs)?.[b.output] ?? 'uri_folder';
    const declared = other.outputs[b.output];
    return declared?.kind === 'data' ? declared.type : 'uri_folder';
  }
  return 'uri_folder';
}

/**
 * The command component an inline step or a local component file defines, as azure-ai-ml builds
 * it; its version is the hash of its content, so the same step registers once. As in the REST
 * spec's componentSpec example (and azure-ai-ml): a `version`, code and environment as
 * `azureml:<ARM id>`, and `$schema` only when a component file has one.
 */
export function anonymousComponent(
  job: PipelineJob,
  step: PipelineStep,
  resolved: Resolved,
): { name: string; version: string; componentSpec: Json } {
  if (step.source.kind === 'registered' || step.source.kind === 'automl' || step.source.kind === 'typed')
    throw new Error(`${step.source.kind} steps are not anonymous command components`);
  const spec = step.source.spec;
  const inputs =
    step.source.kind === 'file'
      ? mapValues(step.source.inputs, (port) =>
          dropUndefined({
            type: port.type,
            optional: port.optional || undefined,
            default: port.default,
            description: port.description,
            // azure-ai-ml 1.35 sends bounds as Python's str() of the typed value: 0 → '0.0' for a
            // number input (captured: component-input-bounds.json).
            min: port.min === undefined ? undefined : pythonNumberText(port.min, port.type),
            max: port.max === undefined ? undefined : pythonNumberText(port.max, port.type),
            enum: port.enum,
          }),
        )
      : mapValues(step.inputs, (input) => ({ type: stepInputType(job, step, input, resolved) }));
  const outputs =
    step.source.kind === 'file'
      ? mapValues(step.source.outputs, (o) => ({ type: o.type }))
      : mapValues(step.outputs, (o) => ({ type: o.kind === 'data' ? o.type : 'uri_folder' }));
  const file = step.source.kind === 'file' ? step.source : undefined;
  const componentSpec: Json = dropUndefined({
    $schema: file?.schema,
    name: ANONYMOUS_COMPONENT_NAME,
    version: file?.version ?? '1',
    // azure-ai-ml 1.35 gives an inline step's component no display_name; ours carries the one the user
    // wrote (the component file's, else the step's), which reads better in studio.
    display_name: (step.source.kind === 'file' ? step.source.displayName : undefined) ?? step.displayName,
    type: 'command',
    command: spec.command,
    code: assetReferenceInSpec(resolved.codeIds.get(spec)),
    environment: assetReferenceInSpec(resolved.environmentIds.get(spec)),
    // A component file's environment variables belong to it; an inline step's go on its node.
    environment_variables:
      step.source.kind === 'file' && Object.keys(spec.environmentVariables).length
        ? spec.environmentVariables
        : undefined,
    description: step.source.kind === 'file' ? step.source.description : undefined,
    inputs,
    // azure-ai-ml 1.35 leaves a component file without outputs without the key
    // (tests/interop/captured/build-context-component-step.json).
    outputs: file && Object.keys(outputs).length === 0 ? undefined : outputs,
    ...componentRunSettings(file ? spec : undefined),
    is_deterministic: true,
    _source: step.source.kind === 'file' ? 'YAML.COMPONENT' : 'YAML.JOB',
  });
  return { name: ANONYMOUS_COMPONENT_NAME, version: anonymousVersion(componentSpec), componentSpec };
}

/** Python's str() of an int or a float: 1 → '1' or '1.0', 1e-7 → '1e-07'. */
export function pythonNumberText(value: number, type: string): string {
  if (type === 'integer') return String(Math.trunc(value));
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  return String(value).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** azure-ai-ml's anonymous version: a GUID made of the content's hash. */
export function anonymousVersion(componentSpec: Json): string {
  const hex = contentHash(componentSpec);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** An ARM id inside a componentSpec is written `azureml:<ARM id>`; a registry's `azureml://` URI stays as it is. */
function assetReferenceInSpec(id: string | undefined): string | undefined {
  return id?.startsWith('/') ? `azureml:${id}` : id;
}

/** Outputs a step declares with a value (azure-ai-ml leaves `name:` with nothing out of a node). */
function writtenOutputs(outputs: Record<string, JobOutput>): Record<string, JobOutput> {
  return Object.fromEntries(Object.entries(outputs).filter(([, o]) => !(o.kind === 'data' && o.empty)));
}

/** A step's compute: a cluster's ARM id, or a `${{parent.inputs.x}}` binding sent as written. */
function stepComputeId(compute: string | undefined, resolved: Resolved): string | undefined {
  if (compute === undefined) return undefined;
  return compute.startsWith('${{') ? compute : resolved.computeId(compute);
}

/** How typed steps (spark, parallel, sweep) see their resolved code, environments and bound ports. */
export function typedResolution(job: PipelineJob | undefined, step: PipelineStep, resolved: Resolved): TypedResolution {
  return {
    codeId: (runnable) => resolved.codeIds.get(runnable),
    environmentId: (runnable) => resolved.environmentIds.get(runnable),
    inputPort: (input) => {
      if (input.kind === 'literal') return { type: input.type };
      if (input.kind === 'data') return { type: input.type, mode: input.mode };
      const parent = input.binding.kind === 'parent-input' ? job?.inputs[input.binding.name] : undefined;
      return {
        type: input.type ?? (job ? stepInputType(job, step, input, resolved) : 'uri_folder'),
        mode: input.mode ?? (parent?.kind === 'data' ? parent.mode : undefined),
      };
    },
    outputPort: (output) => {
      if (output.kind === 'data') return { type: output.type, mode: output.mode };
      const parent = output.binding.kind === 'parent-output' ? job?.outputs[output.binding.name] : undefined;
      return parent?.kind === 'data' ? { type: parent.type, mode: parent.mode } : { type: 'uri_folder' };
    },
  };
}

/** A step as a node of the pipeline's `jobs` (free-form in the REST API; azure-ai-ml's shape). */
export function stepNode(step: PipelineStep, resolved: Resolved, job?: PipelineJob): Json {
  if (step.source.kind === 'automl') return autoMLNode(step, step.source.spec, resolved);
  const typed = step.source.kind === 'typed' ? step.source.step : undefined;
  const node = commandOrTypedNode(step, resolved, job, typed);
  if (typed && Object.keys(node.outputs as Json).length === 0) delete node.outputs;
  return node;
}

function commandOrTypedNode(
  step: PipelineStep,
  resolved: Resolved,
  job: PipelineJob | undefined,
  typed: TypedStep | undefined,
): Json {
  return dropUndefined({
    name: step.name,
    type: typed?.type ?? 'command',
    display_name: step.displayName,
    componentId: typed?.type === 'sweep' ? undefined : resolved.componentIds.get(step),
    trial: typed?.type === 'sweep' ? { componentId: resolved.componentIds.get(step) } : undefined,
    computeId: stepComputeId(step.compute, resolved),
    inputs: mapValues(step.inputs, (input) => {
      if (input.kind === 'literal') return { job_input_type: 'literal', value: literal(input.value) };
      if (input.kind === 'binding')
        return dropUndefined({
          job_input_type: 'literal',
          value: input.expression,
          mode: input.mode ? INPUT_MODES[input.mode] : undefined,
        });
      return dropUndefined({
        job_input_type: input.type,
        uri: input.local ? (resolved.dataUris.get(input) ?? input.path) : input.path,
        mode: input.mode ? INPUT_MODES[input.mode] : undefined,
      });
    }),
    // A typed step with no outputs has no `outputs` in its node (captured from azure-ai-ml 1.35).
    outputs: mapValues(typed ? writtenOutputs(step.outputs) : step.outputs, (output) =>
      output.kind === 'binding'
        ? { value: output.expression, type: 'literal' }
        : dropUndefined({
            job_output_type: output.type,
            mode: output.mode ? OUTPUT_MODES[output.mode] : undefined,
            uri: output.path,
          }),
    ),
    environment_variables:
      step.source.kind === 'inline' && Object.keys(step.source.spec.environmentVariables).length
        ? step.source.spec.environmentVariables
        : step.run && Object.keys(step.run.environmentVariables).length
          ? step.run.environmentVariables
          : undefined,
    ...(typed ? {} : nodeRunSettings(step.source.kind === 'inline' ? step.source.spec : step.run)),
    // Inside `jobs` azure-ai-ml writes a service's keys in snake_case (captured: step-services.json).
    services: step.services
      ? mapValues(step.services, (service) =>
          dropUndefined({
            job_service_type: service.jobServiceType,
            port: service.port,
            nodes: service.nodes ? { nodes_value_type: service.nodes.nodesValueType } : undefined,
            properties: service.properties,
          }),
        )
      : undefined,
    _source:
      step.source.kind === 'typed'
        ? typed && (typed.type === 'sweep' || typed.file)
          ? 'YAML.COMPONENT'
          : 'YAML.JOB'
        : { registered: 'REMOTE.WORKSPACE.COMPONENT', file: 'YAML.COMPONENT', inline: 'YAML.JOB', automl: 'YAML.JOB' }[
            step.source.kind
          ],
    // Last: a typed step's own fields (its environment_variables, among others) are the node's.
    ...(typed
      ? // The node's own compute: a pipeline's default does not make a Spark node's identity Managed (spark.py).
        typedNodeFields(typed, step.compute, typedResolution(job, step, resolved))
      : {}),
  });
}

/**
 * A command step's resources, distribution and limits on its node, as azure-ai-ml 1.35 writes them
 * (snake_case; the timeout as isodate writes a duration): tests/interop/captured/step-run-settings-*.json.
 */
function nodeRunSettings(run: StepRunSettings | undefined): Json {
  if (!run) return {};
  const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return dropUndefined({
    resources:
      run.instanceCount || run.instanceType || run.shmSize
        ? dropUndefined({ instance_count: run.instanceCount, instance_type: run.instanceType, shm_size: run.shmSize })
        : undefined,
    distribution: run.distribution
      ? Object.fromEntries(Object.entries(withDefaults(run.distribution)).map(([k, v]) => [snake(k), v]))
      : undefined,
    limits: run.timeoutSeconds ? { job_limits_type: 'Command', timeout: isoDuration(run.timeoutSeconds) } : undefined,
  });
}

/** azure-ai-ml's TensorFlowDistribution defaults parameter_server_count to 0 and sends it. */
function withDefaults(distribution: NonNullable<StepRunSettings['distribution']>): Record<string, string | number> {
  return distribution.distributionType === 'TensorFlow' ? { parameterServerCount: 0, ...distribution } : distribution;
}

/**
 * A command component file's own resources and distribution in its componentSpec, as azure-ai-ml 1.35
 * writes them there (the distribution's type in lower case): tests/interop/captured/step-run-settings-*.json.
 */
function componentRunSettings(spec: StepRunSettings | undefined): Json {
  if (!spec) return {};
  const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const distribution = spec.distribution && withDefaults(spec.distribution);
  return dropUndefined({
    resources:
      spec.instanceCount || spec.instanceType || spec.shmSize
        ? dropUndefined({
            instance_count: spec.instanceCount,
            instance_type: spec.instanceType,
            shm_size: spec.shmSize,
          })
        : undefined,
    distribution: distribution
      ? Object.fromEntries(
          Object.entries(distribution).map(([k, v]) =>
            k === 'distributionType' ? ['type', String(v).toLowerCase()] : [snake(k), v],
          ),
        )
      : undefined,
  });
}

/** Python isodate's duration_isoformat of whole seconds: 3600 → PT1H, 90 → PT1M30S, 90000 → P1DT1H. */
export function isoDuration(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${rest ? `${rest}S` : ''}`;
  if (!days && !time) return 'P0D';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

/** A `type: automl` step as azure-ai-ml 1.35 writes it in `jobs` (captured: tests/fixtures/automl-bodies/). */
function autoMLNode(step: PipelineStep, spec: AutoMLSpec, resolved: Resolved): Json {
  return dropUndefined({
    name: step.name,
    type: 'automl',
    display_name: step.displayName,
    computeId: step.compute ? resolved.computeId(step.compute) : undefined,
    tags: {},
    properties: {},
    ...nodeTaskFields(spec, (input) => dataUri(input, resolved)),
    outputs: mapValues(step.outputs, (output) =>
      output.kind === 'binding'
        ? { value: output.expression, type: 'literal' }
        : dropUndefined({
            job_output_type: output.type,
            mode: output.mode ? OUTPUT_MODES[output.mode] : undefined,
            uri: output.path,
          }),
    ),
  });
}

function pipelineSettings(job: PipelineJob, resolved: Resolved, compute: string | undefined, source: string): Json {
  return dropUndefined({
    default_compute: compute ? resolved.computeId(compute) : undefined,
    default_datastore:
      job.defaultDatastore && resolved.datastoreId ? resolved.datastoreId(job.defaultDatastore) : undefined,
    continue_on_step_failure: job.continueOnStepFailure,
    force_rerun: job.forceRerun,
    ...Object.fromEntries(job.extraSettings.map((extra) => [extra.key, extra.value])),
    _source: source,
  });
}

/** A pipeline job with its steps inline (run without publishing). */
export function pipelineJobBody(
  job: PipelineJob,
  meta: JobMetadata,
  resolved: Resolved,
  compute: string | undefined,
): Json {
  return {
    ...base(meta),
    jobType: 'Pipeline',
    inputs: mapValues(job.inputs, (i) => jobInput(i, resolved)),
    outputs: mapValues(job.outputs, jobOutput),
    settings: pipelineSettings(job, resolved, compute, 'YAML.JOB'),
    jobs: Object.fromEntries(job.steps.map((step) => [step.name, stepNode(step, resolved, job)])),
  };
}

/** The pipeline as a reusable pipeline component (the v2 form of a published pipeline). */
export function pipelineComponentSpec(job: PipelineJob, resolved: Resolved, name: string): Json {
  return dropUndefined({
    $schema: PIPELINE_COMPONENT_SCHEMA,
    name,
    display_name: job.displayName ?? name,
    description: job.description,
    type: 'pipeline',
    inputs: mapValues(job.inputs, (input) =>
      input.kind === 'literal'
        ? { type: input.type, default: input.value }
        : input.kind === 'data'
          ? dropUndefined({
              type: input.type,
              default: { path: input.local ? resolved.dataUris.get(input) : input.path },
            })
          : { type: 'string' },
    ),
    outputs: mapValues(job.outputs, (o) => ({ type: o.kind === 'data' ? o.type : 'uri_folder' })),
    jobs: Object.fromEntries(job.steps.map((step) => [step.name, stepNode(step, resolved, job)])),
    _source: 'YAML.JOB',
  });
}

/** A pipeline job that runs a published pipeline component: what the run and the schedule submit. */
export function componentJobBody(
  job: PipelineJob,
  meta: JobMetadata,
  resolved: Resolved,
  compute: string | undefined,
  componentId: string,
): Json {
  return {
    ...base(meta),
    jobType: 'Pipeline',
    componentId,
    inputs: mapValues(job.inputs, (i) => jobInput(i, resolved)),
    outputs: mapValues(job.outputs, jobOutput),
    settings: pipelineSettings(job, resolved, compute, 'REMOTE.WORKSPACE.COMPONENT'),
    jobs: {},
  };
}

/** sha256 of a JSON value with sorted keys: the same content always hashes the same. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('hex');
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Json)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}
