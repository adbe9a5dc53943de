// Pipeline steps of type spark, parallel and sweep: read as azure-ai-ml 1.35's node schemas read
// them (pipeline/component_job.py SparkSchema, ParallelSchema, SweepSchema; unknown keys refused),
// with their component written inline or in a component file (`component: ./x.yml`, `trial: ./x.yml`),
// and sent as azure-ai-ml sends them: an anonymous component (YAML-shaped componentSpec) and a node.

import { existsSync, statSync } from 'node:fs';
import { isMap, isScalar, type Node } from 'yaml';
import {
  displayPath,
  identityOf,
  readComponentFile,
  type CodeAndEnvironment,
  type CommonJobFields,
  type DataType,
  type JobInput,
  type JobOutput,
  type LiteralType,
  type PipelineStep,
  type StepSource,
} from '../jobFile.js';
import { DATA_TYPES, LITERAL_TYPES } from '../jobFile.js';
import { entries, fields, oneOf, scalar, stringMap, text, YamlSource, type Field } from '../yamlSource.js';
import { PARALLEL_KEYS, readParallelSpec, type ParallelSpec } from './parallel.js';
import {
  checkSparkArgs,
  defaultSparkIdentity,
  effectiveConf,
  readSparkResources,
  readSparkSpec,
  SPARK_KEYS,
  sparkEntryRest,
  type SparkResources,
  type SparkSpec,
} from './spark.js';
import { readSweepSettings, sweepNodeSettings, SWEEP_KEYS, type SweepSettings } from './sweep.js';

type Json = Record<string, unknown>;

/** A component file's own fields, kept for its componentSpec as azure-ai-ml keeps them. */
export interface ComponentFileInfo {
  path: string;
  schema: string | undefined;
  name: string | undefined;
  version: string | undefined;
  displayName: string | undefined;
  description: string | undefined;
  tags: Record<string, string>;
  /** Input ports as the componentSpec carries them (type, optional, default, min, max, enum, mode, description). */
  inputs: Record<string, Json>;
  outputs: Record<string, Json>;
}

/** A node's own description and tags (BaseNodeSchema), sent on the node as written. */
export interface NodeText {
  description?: string;
  tags?: Record<string, string>;
}

export type TypedStep = NodeText &
  (
    | {
        type: 'spark';
        spark: SparkSpec;
        resources: SparkResources | undefined;
        identity: CommonJobFields['identity'];
        file: ComponentFileInfo | undefined;
      }
    | {
        type: 'parallel';
        parallel: ParallelSpec;
        identity: CommonJobFields['identity'];
        file: ComponentFileInfo | undefined;
        /** The node's own settings, over the component file's (builders/parallel.py: node or component). */
        nodeSettings: Record<string, unknown>;
      }
    | {
        type: 'sweep';
        sweep: SweepSettings;
        trial: Extract<StepSource, { kind: 'file' }> | { kind: 'registered'; reference: string };
        identity: CommonJobFields['identity'];
        /** The sweep node's `resources` (JobResourceConfiguration), as written. */
        resources: Json | undefined;
      }
  );

export const TYPED_STEP_TYPES = ['spark', 'parallel', 'sweep'] as const;

/** Keys every node schema takes (BaseNodeSchema and the node's own: compute, identity, component). */
const NODE_KEYS = ['type', 'inputs', 'outputs', 'compute', 'display_name', 'description', 'tags', 'identity'];

export function typedStepKeys(type: (typeof TYPED_STEP_TYPES)[number]): string[] {
  if (type === 'spark') return [...NODE_KEYS, 'component', 'resources', ...SPARK_KEYS];
  if (type === 'parallel') return [...NODE_KEYS, 'component', ...PARALLEL_KEYS];
  return [...NODE_KEYS, 'resources', ...SWEEP_KEYS];
}

/** Input and output ports of a component file (azure-ai-ml's Input/Output schemas). */
function readPorts(source: YamlSource, f: Map<string, Field>): Pick<ComponentFileInfo, 'inputs' | 'outputs'> {
  const inputs: Record<string, Json> = {};
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
    const type = oneOf(source, p.get('type'), `Input '${entry.key}''s 'type'`, [...DATA_TYPES, ...LITERAL_TYPES]);
    if (!type) {
      if (!p.has('type')) source.report(entry.keyNode, `Input '${entry.key}' needs 'type'.`);
      continue;
    }
    const port: Json = { type };
    const optional = scalar(source, p.get('optional'), "'optional'");
    if (optional === true) port.optional = true;
    for (const key of ['default', 'description', 'mode'] as const) {
      const value = scalar(source, p.get(key), `'${key}'`);
      if (value !== undefined) port[key] = key === 'default' ? pythonText(value) : value;
    }
    for (const key of ['min', 'max'] as const) {
      const value = scalar(source, p.get(key), `'${key}'`);
      if (value !== undefined) {
        if (typeof value !== 'number' || (type !== 'integer' && type !== 'number'))
          source.report(
            p.get(key)?.value,
            `Input '${entry.key}''s '${key}' must be a number, on an integer or number input.`,
          );
        else port[key] = value;
      }
    }
    if (p.has('enum')) port.enum = source.pyYamlValue(p.get('enum')?.value as Node);
    inputs[entry.key] = port;
  }
  const outputs: Record<string, Json> = {};
  for (const entry of entries(source, f.get('outputs')?.value ?? null, "'outputs'")) {
    const p = fields(source, entry.value, `Output '${entry.key}'`, ['type', 'description', 'mode']);
    const port: Json = {
      type: oneOf(source, p.get('type'), `Output '${entry.key}''s 'type'`, DATA_TYPES) ?? 'uri_folder',
    };
    for (const key of ['description', 'mode'] as const) {
      const value = text(source, p.get(key), `'${key}'`);
      if (value !== undefined) port[key] = value;
    }
    outputs[entry.key] = port;
  }
  return { inputs, outputs };
}

/** A literal as Python's str() writes it (azure-ai-ml sends port defaults and literals as text). */
function pythonText(value: string | number | boolean): string {
  return typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value);
}

const COMPONENT_KEYS = [
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
];

/** A spark or parallel component file, read with its own problems collected in `extra`. */
function readTypedComponentFile(
  file: string,
  workspaceRoot: string,
  extra: YamlSource[],
  type: 'spark' | 'parallel',
): { info: ComponentFileInfo; source: YamlSource; f: Map<string, Field> } | undefined {
  const source = new YamlSource(file, displayPath(file, workspaceRoot), workspaceRoot);
  extra.push(source);
  if (source.problems.length > 0) return undefined;
  // Prompt flow files (flow.dag.yaml, a flow run's run.yml) load as parallel components only
  // through the promptflow package that azure-ai-ml calls; this reader does not implement it.
  const root = source.document.contents;
  if (type === 'parallel' && isMap(root) && (root.has('nodes') || root.has('flow') || /flow\.dag\.ya?ml$/.test(file))) {
    source.report(
      root,
      'This is a prompt flow (a flow.dag.yaml or a flow run file), not a parallel component file: action-pipeline does not run prompt flows; submit this file with az ml job create.',
    );
    return undefined;
  }
  const own = type === 'spark' ? SPARK_KEYS : PARALLEL_KEYS;
  const f = fields(source, source.document.contents as Node, `A ${type} component`, [...COMPONENT_KEYS, ...own]);
  const declared = text(source, f.get('type'), "'type'");
  if (declared !== type) {
    source.report(
      f.get('type')?.value ?? (source.document.contents as Node),
      `The step has type '${type}', but its component file has type '${declared ?? '(none)'}'.`,
    );
    return undefined;
  }
  return {
    source,
    f,
    info: {
      path: file,
      schema: text(source, f.get('$schema'), "'$schema'"),
      name: text(source, f.get('name'), "'name'"),
      version: text(source, f.get('version'), "'version'"),
      displayName: text(source, f.get('display_name'), "'display_name'"),
      description: text(source, f.get('description'), "'description'"),
      tags: Object.fromEntries(
        entries(source, f.get('tags')?.value ?? null, "'tags'").map((e) => [
          e.key,
          String(isScalar(e.value) ? e.value.value : ''),
        ]),
      ),
      ...readPorts(source, f),
    },
  };
}

/** A local component file path of a step, confined to the repository; undefined after a report. */
function componentPath(source: YamlSource, field: Field, what: string): string | undefined {
  const reference = text(source, field, `${what}'s 'component'`);
  if (reference === undefined) return undefined;
  if (reference.startsWith('azureml:')) {
    source.report(
      field.value,
      `${what}'s 'component' is '${reference}': a registered component of this step type is not read by action-pipeline yet; use a local component file.`,
    );
    return undefined;
  }
  const file = source.localPath(field.value, reference.replace(/^file:/, ''), `${what}'s component file`);
  if (file === undefined) return undefined;
  if (!existsSync(file) || !statSync(file).isFile()) {
    source.report(
      field.value,
      `${what}'s component file '${reference}' does not exist (relative to ${source.displayPath}).`,
    );
    return undefined;
  }
  return file;
}

/** A spark, parallel or sweep step; undefined when it has problems (reported). */
export function readTypedStep(
  source: YamlSource,
  f: Map<string, Field>,
  type: (typeof TYPED_STEP_TYPES)[number],
  what: string,
  workspaceRoot: string,
  extra: YamlSource[],
  inputs: Record<string, JobInput>,
  outputs: Record<string, JobOutput>,
): TypedStep | undefined {
  const identity = identityOf(source, f.get('identity'));
  const description = text(source, f.get('description'), `${what}'s 'description'`);
  const tags = f.has('tags') ? stringMap(source, f.get('tags'), `${what}'s 'tags'`) : undefined;
  const nodeText: NodeText = {
    ...(description !== undefined ? { description } : {}),
    ...(tags ? { tags } : {}),
  };
  if (type === 'sweep') {
    const sweep = readSweepSettings(source, f, what);
    const trialField = f.get('trial');
    let trial: Extract<TypedStep, { type: 'sweep' }>['trial'] | undefined;
    const reference = text(source, trialField, `${what}'s 'trial'`);
    if (!trialField || reference === undefined)
      source.report(
        trialField?.keyNode ?? (source.document.contents as Node),
        `${what} needs 'trial': a command component file (./train.yml) or azureml:NAME:VERSION.`,
      );
    else if (reference.startsWith('azureml:')) {
      if (!/^azureml:[A-Za-z0-9][\w.-]*:[\w.-]+$/.test(reference))
        source.report(
          trialField.value,
          `${what}'s 'trial' is '${reference}'; use azureml:NAME:VERSION or a component file.`,
        );
      else trial = { kind: 'registered', reference };
    } else {
      const file = source.localPath(trialField.value, reference.replace(/^file:/, ''), `${what}'s trial file`);
      if (file !== undefined && (!existsSync(file) || !statSync(file).isFile()))
        source.report(
          trialField.value,
          `${what}'s trial file '${reference}' does not exist (relative to ${source.displayPath}).`,
        );
      else if (file !== undefined) trial = readComponentFile(file, workspaceRoot, extra);
    }
    if (trial?.kind === 'file')
      checkPortNames(source, f, what, Object.keys(trial.inputs), inputs, `trial ${reference ?? ''}`, true);
    const resources = f.get('resources')?.value;
    if (!sweep || !trial) return undefined;
    return {
      ...nodeText,
      type,
      sweep,
      trial,
      identity,
      resources: resources ? (source.pyYamlValue(resources) as Json) : undefined,
    };
  }
  const componentField = f.get('component');
  let file: ReturnType<typeof readTypedComponentFile>;
  if (componentField) {
    for (const key of type === 'spark'
      ? ['code', 'entry', 'py_files', 'jars', 'files', 'archives', 'args', 'environment']
      : ['task'])
      if (f.has(key)) source.report(f.get(key)?.keyNode, `${what} has both 'component' and '${key}'; use one.`);
    const path = componentPath(source, componentField, what);
    if (path === undefined) return undefined;
    file = readTypedComponentFile(path, workspaceRoot, extra, type);
    if (!file) return undefined;
    checkPortNames(
      source,
      f,
      what,
      Object.keys(file.info.inputs),
      inputs,
      `component ${String(isScalar(componentField.value) ? componentField.value.value : '')}`,
      false,
    );
  }
  if (type === 'spark') {
    const spark = file
      ? readSparkSpec(file.source, file.f, `A spark component`, { codeRequired: true })
      : readSparkSpec(source, f, what, { codeRequired: true });
    const ports = file ? file.info : { inputs, outputs };
    if (file)
      checkSparkArgs(file.source, file.f, { inputs: Object.keys(ports.inputs), outputs: Object.keys(ports.outputs) });
    else checkSparkArgs(source, f, { inputs: Object.keys(inputs), outputs: Object.keys(outputs) });
    // A node's conf overrides its component's (builders/spark.py: `self.conf or component.conf`).
    if (spark && file && f.has('conf'))
      spark.conf = readSparkSpec(source, new Map([['conf', f.get('conf')!]]), what, { codeRequired: false })?.conf;
    if (!spark) return undefined;
    return {
      ...nodeText,
      type,
      spark,
      resources: readSparkResources(source, f.get('resources')),
      identity,
      file: file?.info,
    };
  }
  const own = readParallelSpec(source, f, what);
  const parallel = file ? readParallelSpec(file.source, file.f, 'A parallel component') : own;
  if (file && own.environmentVariables) parallel.environmentVariables = own.environmentVariables;
  if (!parallel.task) {
    const where = file ? file.source : source;
    where.report(
      file ? (where.document.contents as Node) : (f.get('type')?.keyNode ?? null),
      `${file ? 'A parallel component' : what} needs 'task' (type: run_function, code, entry_script, environment).`,
    );
    return undefined;
  }
  return { ...nodeText, type, parallel, identity, file: file?.info, nodeSettings: own.settings };
}

/** Inputs a step sets must be declared by its component; required ones must be set. */
function checkPortNames(
  source: YamlSource,
  f: Map<string, Field>,
  what: string,
  declared: string[],
  inputs: Record<string, JobInput>,
  name: string,
  sweep: boolean,
): void {
  for (const input of Object.keys(inputs))
    if (!declared.includes(input))
      source.report(
        entries(source, f.get('inputs')?.value ?? null, what).find((e) => e.key === input)?.keyNode,
        `${what} sets input '${input}', which ${name} does not declare (it has ${declared.join(', ') || 'none'}).`,
      );
  void sweep;
}

/** The code and environment a typed step needs resolved. */
export function typedRunnables(step: TypedStep): CodeAndEnvironment[] {
  if (step.type === 'spark') return [step.spark];
  if (step.type === 'parallel') return step.parallel.task ? [step.parallel.task] : [];
  return step.trial.kind === 'file' ? [step.trial.spec] : [];
}

/** The declared outputs of a typed step (for bindings), with their types. */
export function typedOutputs(step: TypedStep, own: Record<string, JobOutput>): Record<string, DataType> | undefined {
  if (step.type === 'sweep') {
    if (step.trial.kind !== 'file') return undefined;
    return Object.fromEntries(Object.entries(step.trial.outputs).map(([k, o]) => [k, o.type]));
  }
  if (step.file) return Object.fromEntries(Object.entries(step.file.outputs).map(([k, o]) => [k, o.type as DataType]));
  return Object.fromEntries(Object.entries(own).map(([k, o]) => [k, o.kind === 'data' ? o.type : 'uri_folder']));
}

/** An ARM id inside a componentSpec is written `azureml:<ARM id>`; a registry's URI stays as it is. */
function inSpec(id: string | undefined): string | undefined {
  return id?.startsWith('/') ? `azureml:${id}` : id;
}

function dropUndefined(record: Json): Json {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

export interface TypedResolution {
  codeId(runnable: object): string | undefined;
  environmentId(runnable: object): string | undefined;
  /** The type (and mode) a bound step input has, from what it binds to. */
  inputPort(input: JobInput): { type: DataType | LiteralType; mode?: string | undefined };
  outputPort(output: JobOutput): { type: DataType; mode?: string | undefined };
}

/** The componentSpec azure-ai-ml registers for a spark or parallel step (anonymous, content-versioned). */
export function typedComponentSpec(
  step: PipelineStep & { source: { kind: 'typed'; step: TypedStep } },
  r: TypedResolution,
): Json {
  const typed = step.source.step;
  if (typed.type === 'sweep') throw new Error('a sweep step registers its trial, not a component of its own');
  const file = typed.file;
  const ports = file
    ? { inputs: file.inputs, outputs: file.outputs }
    : {
        // An inline component's ports come from the step: a literal's value is its default.
        inputs: Object.fromEntries(
          Object.entries(step.inputs).map(([name, input]) => {
            if (input.kind === 'literal') return [name, { type: input.type, default: pythonText(input.value) }];
            const port = r.inputPort(input);
            return [name, dropUndefined({ type: port.type, mode: port.mode })];
          }),
        ),
        outputs: Object.fromEntries(
          Object.entries(step.outputs).map(([name, output]) => {
            const port = r.outputPort(output);
            return [name, dropUndefined({ type: port.type, mode: port.mode })];
          }),
        ),
      };
  const head = dropUndefined({
    $schema: file?.schema,
    name: 'azureml_anonymous',
    version: file?.version ?? '1',
    display_name: file?.displayName,
    description: file?.description,
    tags: file && Object.keys(file.tags).length ? file.tags : undefined,
    is_deterministic: true,
    inputs: Object.keys(ports.inputs).length ? ports.inputs : undefined,
    outputs: Object.keys(ports.outputs).length ? ports.outputs : undefined,
    type: typed.type,
    _source: file ? 'YAML.COMPONENT' : 'YAML.JOB',
  });
  if (typed.type === 'spark') {
    const s = typed.spark;
    return dropUndefined({
      ...head,
      code: inSpec(r.codeId(s)),
      environment: inSpec(r.environmentId(s)),
      entry: s.entry,
      ...s.lists,
      conf: s.conf,
      args: s.args,
    });
  }
  const p = typed.parallel;
  const task = p.task!;
  return dropUndefined({
    ...head,
    ...componentParallelSettings(p.settings),
    task: dropUndefined({ ...task.fields, code: inSpec(r.codeId(task)), environment: inSpec(r.environmentId(task)) }),
  });
}

/** A parallel component writes mini_batch_size as text, and "0" when it has none (captured, 1.35). */
function componentParallelSettings(settings: Record<string, unknown>): Record<string, unknown> {
  return { ...settings, mini_batch_size: String(settings.mini_batch_size ?? 0) };
}

/** The fields a typed step's node carries besides name, type, inputs, outputs, componentId, computeId. */
export function typedNodeFields(step: TypedStep, compute: string | undefined, r: TypedResolution): Json {
  return {
    ...(step.description !== undefined ? { description: step.description } : {}),
    ...(step.tags ? { tags: step.tags } : {}),
    ...typedOwnFields(step, compute, r),
  };
}

function typedOwnFields(step: TypedStep, compute: string | undefined, r: TypedResolution): Json {
  if (step.type === 'sweep')
    return dropUndefined({
      ...sweepNodeSettings(step.sweep),
      resources: step.resources,
      identity: step.identity ? { identity_type: step.identity } : undefined,
    });
  if (step.type === 'spark') {
    const s = step.spark;
    const identity = defaultSparkIdentity(step.identity, compute, step.resources);
    return dropUndefined({
      resources: step.resources,
      ...s.lists,
      identity: identity ? { identity_type: identity } : undefined,
      conf: effectiveConf(s.conf),
      args: s.args,
      entry: s.entry ? sparkEntryRest(s.entry, true) : undefined,
    });
  }
  const p = step.parallel;
  const task = p.task!;
  return dropUndefined({
    ...p.settings,
    ...step.nodeSettings,
    mini_batch_size: step.nodeSettings.mini_batch_size ?? p.settings.mini_batch_size ?? 0,
    environment_variables:
      p.environmentVariables && Object.keys(p.environmentVariables).length ? p.environmentVariables : undefined,
    task: dropUndefined({ ...task.fields, code: inSpec(r.codeId(task)), environment: inSpec(r.environmentId(task)) }),
    identity: step.identity ? { identity_type: step.identity } : undefined,
  });
}

/** A mapping field's node, for callers that report at it. */
export function isMapping(node: Node | null | undefined): boolean {
  return !!node && isMap(node);
}
