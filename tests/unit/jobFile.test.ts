// The job file reader of action-pipeline: CLI v2 command, pipeline and AutoML jobs, local component
// files, `set` overrides, and problems reported with file:line:column; and the REST bodies built
// from them (anonymous components, step nodes, AutoML task details).

import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  loadJobFile,
  type AutoMLJob,
  type InlineEnvironment,
  type PipelineJob,
} from '../../action-pipeline/src/jobFile.js';
import {
  anonymousComponent,
  autoMLJobBody,
  isoDuration,
  pythonNumberText,
  stepNode,
  type Resolved,
} from '../../action-pipeline/src/rest.js';
import { JobFileError } from '../../action-pipeline/src/yamlSource.js';

function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'jobfile-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

function problemsOf(root: string, file: string, sets: string[] = []): string[] {
  try {
    loadJobFile(
      path.join(root, file),
      root,
      sets.map((s) => ({ path: s.split('=')[0] ?? '', value: s.split('=').slice(1).join('=') })),
    );
  } catch (error) {
    if (error instanceof JobFileError)
      return error.problems.map((p) => `${p.location.file}:${p.location.line}:${p.location.column} ${p.message}`);
    throw error;
  }
  return [];
}

const resolved = (): Resolved => ({
  computeId: (name) => `/ws/computes/${name}`,
  codeIds: new Map(),
  environmentIds: new Map(),
  dataUris: new Map(),
  componentIds: new Map(),
  registeredOutputs: new Map(),
});

const PIPELINE = [
  'type: pipeline',
  'settings:',
  '  default_compute: azureml:cpu',
  'inputs:',
  '  lr: 0.01',
  '  raw:',
  '    type: uri_folder',
  '    path: azureml:raw:3',
  'jobs:',
  '  prep:',
  '    command: python prep.py --raw ${{inputs.raw}} --out ${{outputs.clean}}',
  '    code: ./src',
  '    environment: azureml:env:1',
  '    inputs:',
  '      raw: ${{parent.inputs.raw}}',
  '    outputs:',
  '      clean:',
  '        type: uri_folder',
  '  train:',
  '    component: ./train-component.yml',
  '    compute: azureml:gpu',
  '    inputs:',
  '      data: ${{parent.jobs.prep.outputs.clean}}',
  '      lr: ${{parent.inputs.lr}}',
  '',
].join('\n');

const COMPONENT = [
  'type: command',
  'name: train',
  'inputs:',
  '  data: {type: uri_folder}',
  '  lr: {type: number, default: 0.1}',
  '  epochs: {type: integer, optional: true}',
  'outputs:',
  '  model: {type: mlflow_model}',
  'code: ./src',
  'environment: azureml:env@latest',
  'command: python train.py --data ${{inputs.data}} --lr ${{inputs.lr}} --model ${{outputs.model}}',
  '',
].join('\n');

describe('pipeline jobs', () => {
  const root = workspace({ 'p.yml': PIPELINE, 'train-component.yml': COMPONENT, 'src/prep.py': 'print(1)\n' });

  it('reads inline steps and local component files with their bindings', () => {
    const job = loadJobFile(path.join(root, 'p.yml'), root) as PipelineJob;
    expect(job.type).toBe('pipeline');
    expect(job.defaultCompute).toBe('cpu');
    expect(job.inputs.lr).toEqual({ kind: 'literal', value: 0.01, type: 'number' });
    expect(job.inputs.raw).toMatchObject({ kind: 'data', type: 'uri_folder', path: 'azureml:raw:3', local: false });
    const [prep, train] = job.steps;
    expect(prep?.source).toMatchObject({
      kind: 'inline',
      spec: { code: { kind: 'local', path: path.join(root, 'src') } },
    });
    expect(train?.compute).toBe('gpu');
    expect(train?.source).toMatchObject({ kind: 'file', name: 'train', outputs: { model: { type: 'mlflow_model' } } });
    expect(train?.inputs.data).toMatchObject({
      kind: 'binding',
      binding: { kind: 'step-output', step: 'prep', output: 'clean' },
    });
  });

  it('applies set overrides before checking: literals keep their type, data inputs get a new path', () => {
    const job = loadJobFile(path.join(root, 'p.yml'), root, [
      { path: 'inputs.lr', value: '0.5' },
      { path: 'inputs.raw', value: 'azureml:raw:4' },
    ]) as PipelineJob;
    expect(job.inputs.lr).toEqual({ kind: 'literal', value: 0.5, type: 'number' });
    expect(job.inputs.raw).toMatchObject({ path: 'azureml:raw:4' });
    expect(problemsOf(root, 'p.yml', ['inputs.lr.deeper=1'])[0]).toContain("'inputs.lr' is not a mapping");
  });

  it('builds anonymous components whose GUID version follows their content, and azure-ai-ml-shaped nodes', () => {
    const job = loadJobFile(path.join(root, 'p.yml'), root) as PipelineJob;
    const r = resolved();
    const [prep, train] = job.steps as [PipelineJob['steps'][number], PipelineJob['steps'][number]];
    if (prep.source.kind !== 'inline' || train.source.kind !== 'file') throw new Error('unexpected sources');
    r.codeIds.set(prep.source.spec, '/ws/codes/src/versions/1');
    r.environmentIds.set(prep.source.spec, '/ws/environments/env/versions/1');
    const a = anonymousComponent(job, prep, r);
    expect(a.name).toBe('azureml_anonymous');
    expect(a.version).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // As in the REST spec's componentSpec example: a version, and ARM ids written `azureml:<id>`.
    expect(a.componentSpec).toMatchObject({
      type: 'command',
      version: '1',
      code: 'azureml:/ws/codes/src/versions/1',
      environment: 'azureml:/ws/environments/env/versions/1',
      inputs: { raw: { type: 'uri_folder' } },
      outputs: { clean: { type: 'uri_folder' } },
    });
    expect(a.componentSpec).not.toHaveProperty('$schema');
    expect(anonymousComponent(job, prep, r).version).toBe(a.version);
    r.codeIds.set(prep.source.spec, '/ws/codes/src/versions/2');
    expect(anonymousComponent(job, prep, r).version).not.toBe(a.version);
    expect(anonymousComponent(job, train, r).componentSpec).toMatchObject({
      inputs: { data: { type: 'uri_folder' }, lr: { type: 'number', default: 0.1 }, epochs: { optional: true } },
    });
    r.componentIds.set(train, '/ws/components/azureml_anonymous/versions/x');
    expect(stepNode(train, r)).toEqual({
      name: 'train',
      type: 'command',
      componentId: '/ws/components/azureml_anonymous/versions/x',
      computeId: '/ws/computes/gpu',
      inputs: {
        data: { job_input_type: 'literal', value: '${{parent.jobs.prep.outputs.clean}}' },
        lr: { job_input_type: 'literal', value: '${{parent.inputs.lr}}' },
      },
      outputs: {},
      _source: 'YAML.COMPONENT',
    });
  });

  it('reports every problem, with the line and column of each', () => {
    const broken = workspace({
      'b.yml': [
        'type: pipeline',
        'inputs:',
        '  lr: 0.1',
        'jobs:',
        '  prep:',
        '    command: python prep.py ${{inputs.missing}}',
        '    environment: env:1',
        '    code: ./nope',
        '  train:',
        '    component: ./c.yml',
        '    inputs:',
        '      data: ${{parent.jobs.prep.outputs.clean}}',
        '      unknown: 1',
        '',
      ].join('\n'),
      'c.yml':
        'type: command\ninputs:\n  data: {type: uri_folder}\n  lr: {type: number}\ncommand: echo\nenvironment: azureml:e:1\n',
    });
    expect(problemsOf(broken, 'b.yml')).toEqual([
      expect.stringMatching(/^b\.yml:7:18 'environment' is 'env:1'; it must be azureml:NAME:VERSION/),
      "b.yml:8:11 'code' folder './nope' does not exist (relative to b.yml).",
      "b.yml:6:14 'command' uses ${{inputs.missing}}, but inputs declares nothing.",
      "b.yml:13:7 Step 'train' sets input 'unknown', which component ./c.yml does not declare (it has data, lr).",
      "b.yml:9:3 Step 'train' does not set input 'lr', which component ./c.yml requires.",
      "b.yml:12:13 Step 'train': ${{parent.jobs.prep.outputs.clean}} names output 'clean' of step 'prep', which declares no outputs.",
    ]);
  });

  it.each([
    ['an absolute path', () => '/etc/component.yml'],
    ['.. out of the repository', () => '../outside/c.yml'],
    [
      'a symbolic link out of it',
      (root: string) => {
        const outside = mkdtempSync(path.join(os.tmpdir(), 'jobfile-outside-'));
        writeFileSync(path.join(outside, 'c.yml'), 'type: command\ncommand: echo\nenvironment: azureml:e:1\n');
        symlinkSync(path.join(outside, 'c.yml'), path.join(root, 'link.yml'));
        return './link.yml';
      },
    ],
  ])('refuses a component file outside the repository: %s', (_name, reference) => {
    const root = workspace({});
    const ref = reference(root);
    writeFileSync(
      path.join(root, 'p.yml'),
      ['type: pipeline', 'jobs:', '  train:', `    component: ${ref}`, ''].join('\n'),
    );
    expect(problemsOf(root, 'p.yml')).toContain(
      `p.yml:4:16 Step 'train''s component file '${ref}' must be inside the repository${ref.startsWith('./link') ? ' (it links outside it)' : ''}.`,
    );
  });

  it('reports YAML syntax errors and unknown job types at their place', () => {
    const broken = workspace({
      's.yml': 'type: pipeline\njobs:\n  a: [\n',
      't.yml': 'type: sweep\n',
      'u.yml': 'type: finetuning\n',
      'v.yml': 'type: bogus\n',
    });
    expect(problemsOf(broken, 's.yml')[0]).toMatch(/^s\.yml:\d+:\d+ YAML syntax: /);
    // Sweep jobs are read: an empty one is told each thing it lacks.
    expect(problemsOf(broken, 't.yml')).toContain("t.yml:1:1 A sweep job needs 'trial': the command each trial runs.");
    expect(problemsOf(broken, 'u.yml')[0]).toContain(
      "fine-tuning jobs are not in Azure ML's stable REST API (2024-04-01",
    );
    expect(problemsOf(broken, 'v.yml')).toEqual([
      "v.yml:1:7 'type' is 'bogus'; action-pipeline runs command, pipeline, automl, sweep and spark jobs.",
    ]);
  });
});

describe('local paths stay inside the repository', () => {
  it('says a missing path is missing, also when the checkout is reached through a symbolic link', () => {
    const root = workspace({
      'job.yml':
        'command: echo ${{inputs.d}}\nenvironment: azureml:env:1\ninputs:\n  d:\n    type: uri_folder\n    path: ./data\n',
    });
    const link = `${root}-link`;
    symlinkSync(root, link);
    expect(problemsOf(link, 'job.yml')).toEqual([
      "job.yml:6:11 Input 'd''s path './data' does not exist (relative to job.yml).",
    ]);
  });

  it("refuses 'code:' and local data inputs outside it, directly or through a symbolic link", () => {
    const root = workspace({ 'src/a.py': 'x\n' });
    symlinkSync('/etc', path.join(root, 'etc-link'));
    writeFileSync(
      path.join(root, 'j.yml'),
      [
        'command: python a.py',
        'environment: azureml:e:1',
        'code: ./etc-link',
        'inputs:',
        '  abs: {type: uri_file, path: /etc/hostname}',
        '  up: {type: uri_folder, path: ../../..}',
        '  link: {type: uri_folder, path: ./etc-link}',
        '  ok: {type: uri_folder, path: ./src}',
        '',
      ].join('\n'),
    );
    expect(problemsOf(root, 'j.yml')).toEqual([
      "j.yml:5:31 Input 'abs''s path '/etc/hostname' must be inside the repository.",
      "j.yml:6:32 Input 'up''s path '../../..' must be inside the repository.",
      "j.yml:7:34 Input 'link''s path './etc-link' must be inside the repository (it links outside it).",
      "j.yml:3:7 'code' './etc-link' must be inside the repository (it links outside it).",
    ]);
  });
});

describe('command and AutoML jobs', () => {
  it('infers a command job and checks its bindings against its inputs', () => {
    const root = workspace({
      'c.yml': 'command: python x.py --lr ${{inputs.lr}}\nenvironment: azureml:e:1\ninputs:\n  lr: 0.1\n',
    });
    expect(loadJobFile(path.join(root, 'c.yml'), root)).toMatchObject({
      type: 'command',
      spec: { command: 'python x.py --lr ${{inputs.lr}}' },
    });
  });

  it('validates the AutoML fields and maps the metric to the REST name', () => {
    const root = workspace({
      'a.yml': [
        'type: automl',
        'task: regression',
        'training_data: {type: mltable, path: ./local-folder}',
        'primary_metric: accuracy',
        '',
      ].join('\n'),
      'ok.yml': [
        'type: automl',
        'task: forecasting',
        'training_data: {type: mltable, path: azureml:sales:2}',
        'target_column_name: units',
        'primary_metric: r2_score',
        'forecasting: {time_column_name: date, forecast_horizon: 14}',
        'limits: {timeout_minutes: 60, max_trials: 20}',
        '',
      ].join('\n'),
    });
    const problems = problemsOf(root, 'a.yml');
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining("'primary_metric' is 'accuracy'; allowed values are 'spearman_correlation'"),
        expect.stringContaining("'training_data' path './local-folder' does not exist (relative to a.yml)."),
        expect.stringContaining("An automl job (task regression) needs 'target_column_name'."),
      ]),
    );
    const job = loadJobFile(path.join(root, 'ok.yml'), root) as AutoMLJob;
    const meta = { displayName: 'd', experimentName: 'e', description: undefined, tags: {}, properties: {} };
    expect(autoMLJobBody(job, meta, resolved(), 'cpu')).toMatchObject({
      jobType: 'AutoML',
      computeId: '/ws/computes/cpu',
      taskDetails: {
        taskType: 'Forecasting',
        primaryMetric: 'R2Score',
        trainingData: { jobInputType: 'mltable', uri: 'azureml:sales:2' },
        limitSettings: { timeout: 'PT1H', maxTrials: 20 },
        forecastingSettings: { timeColumnName: 'date', forecastHorizon: { mode: 'Custom', value: 14 } },
      },
    });
  });
});

describe('inline environments', () => {
  const CONDA = [
    'name: train',
    'channels: [conda-forge]',
    'dependencies:',
    '  - python=3.10',
    '  - pip:',
    '    - mlflow',
  ].join('\n');
  const job = (environment: string[]) =>
    ['command: python train.py', 'compute: azureml:cpu', 'environment:', ...environment.map((l) => `  ${l}`)].join(
      '\n',
    );

  it('reads an image with a conda file (a path or a mapping) into the version azure-ai-ml gives it', () => {
    const root = workspace({
      'path.yml': job(['image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04', 'conda_file: env/conda.yml']),
      'inline.yml': job([
        'image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04',
        'conda_file:',
        '  name: train',
        '  channels: [conda-forge]',
        '  dependencies: [python=3.10, {pip: [mlflow]}]',
      ]),
      'env/conda.yml': CONDA,
    });
    const fromPath = loadJobFile(path.join(root, 'path.yml'), root, []);
    const inline = loadJobFile(path.join(root, 'inline.yml'), root, []);
    if (fromPath.type !== 'command' || inline.type !== 'command') throw new Error('command jobs expected');
    const env = fromPath.spec.environment;
    if (typeof env === 'string') throw new Error('an inline environment expected');
    expect(env.condaFile).toBe(
      'channels:\n- conda-forge\ndependencies:\n- python=3.10\n- pip:\n  - mlflow\nname: train\n',
    );
    expect(env.version).toMatch(/^[0-9a-f]{64}$/);
    // The same content written inline is the same environment.
    expect(inline.spec.environment).toMatchObject({ version: env.version, condaFile: env.condaFile });
  });

  it('reads a Docker build context folder (and a Dockerfile path) as azure-ai-ml reads build', () => {
    const root = workspace({
      'build.yml': job(['build:', '  path: ./docker']),
      'named.yml': job(['build:', '  path: docker', '  dockerfile_path: gpu.Dockerfile', 'os_type: linux']),
      'docker/Dockerfile': 'FROM python:3.11\n',
      'docker/gpu.Dockerfile': 'FROM python:3.11\n',
    });
    const plain = loadJobFile(path.join(root, 'build.yml'), root, []);
    const named = loadJobFile(path.join(root, 'named.yml'), root, []);
    if (plain.type !== 'command' || named.type !== 'command') throw new Error('command jobs expected');
    // The version is azure-ai-ml's hash of the folder, computed when it is uploaded (run.ts).
    expect(plain.spec.environment).toMatchObject({
      kind: 'inline',
      image: undefined,
      build: { folder: path.join(root, 'docker'), dockerfilePath: undefined },
      version: undefined,
    });
    expect(named.spec.environment).toMatchObject({
      build: { folder: path.join(root, 'docker'), dockerfilePath: 'gpu.Dockerfile' },
      osType: 'Linux',
    });
    // Same folder, another Dockerfile: two environments, as azure-ai-ml names them apart.
    expect((plain.spec.environment as InlineEnvironment).identity).not.toBe(
      (named.spec.environment as InlineEnvironment).identity,
    );
  });

  it('refuses build contexts azure-ai-ml cannot register or that would not build, at their place', () => {
    const root = workspace({
      'both.yml': job(['image: python:3.11', 'build:', '  path: docker']),
      'conda.yml': job(['build:', '  path: docker', 'conda_file: env.yml']),
      'remote.yml': job(['build:', '  path: https://example.com/context.tar']),
      'nopath.yml': job(['build:', '  dockerfile_path: Dockerfile']),
      'nofolder.yml': job(['build:', '  path: nowhere']),
      'nodockerfile.yml': job(['build:', '  path: empty']),
      'unknown.yml': job(['build:', '  path: docker', '  target: prod']),
      'docker/Dockerfile': 'FROM python:3.11\n',
      'empty/readme.md': 'no Dockerfile here\n',
      'env.yml': CONDA,
    });
    expect(problemsOf(root, 'both.yml')).toEqual([
      "both.yml:4:3 An inline 'environment' takes 'image' or a Docker 'build' context, not both (azure-ai-ml refuses both too).",
    ]);
    expect(problemsOf(root, 'conda.yml')).toEqual([
      "conda.yml:6:3 An inline 'environment' with a Docker 'build' context takes its packages from the Dockerfile; 'conda_file' would be ignored. Install them in the Dockerfile, or use 'image' with 'conda_file'.",
    ]);
    expect(problemsOf(root, 'remote.yml')).toEqual([
      "remote.yml:5:11 The inline environment's 'build' 'path' is 'https://example.com/context.tar': a remote build context is not supported; give a folder of the repository, or register the environment with action-register and refer to it as azureml:NAME:VERSION.",
    ]);
    expect(problemsOf(root, 'nopath.yml')).toEqual([
      "nopath.yml:4:3 The inline environment's 'build' needs 'path' (the folder with the Dockerfile, relative to the file).",
    ]);
    expect(problemsOf(root, 'nofolder.yml')).toEqual([
      "nofolder.yml:5:11 The inline environment's 'build' 'path' 'nowhere' is not a folder (relative to nofolder.yml).",
    ]);
    expect(problemsOf(root, 'nodockerfile.yml')).toEqual([
      "nodockerfile.yml:5:11 The build context 'empty' has no Dockerfile (set 'dockerfile_path' if it has another name).",
    ]);
    expect(problemsOf(root, 'unknown.yml')).toEqual([
      "unknown.yml:6:5 The inline environment's 'build' has an unknown field 'target'. Allowed: path, dockerfile_path.",
    ]);
  });

  it('reports a missing image, an unknown key and a missing conda file at their place', () => {
    const root = workspace({
      'noimage.yml': job(['conda_file: env.yml']),
      'unknown.yml': job(['image: python:3.11', 'conda: env.yml']),
      'missing.yml': job(['image: python:3.11', 'conda_file: nowhere.yml']),
    });
    expect(problemsOf(root, 'noimage.yml')).toEqual([
      "noimage.yml:4:3 An inline 'environment' needs 'image' (a Docker image, e.g. mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04).",
    ]);
    expect(problemsOf(root, 'unknown.yml')).toEqual([
      "unknown.yml:5:3 The inline 'environment' has an unknown field 'conda'. Allowed: image, conda_file, build, os_type, description, tags, name, version.",
    ]);
    expect(problemsOf(root, 'missing.yml')).toEqual([
      "missing.yml:5:15 'conda_file' 'nowhere.yml' does not exist (relative to missing.yml).",
    ]);
  });
});

describe('set overrides on any path', () => {
  it('replaces or adds a value anywhere, creating the mappings on the way, as the CLI --set does', () => {
    const root = workspace({ 'job.yml': 'command: echo hi\nenvironment: azureml:env:1\n' });
    const job = loadJobFile(path.join(root, 'job.yml'), root, [
      { path: 'environment', value: 'azureml:other:2' },
      { path: 'compute', value: 'azureml:cpu' },
      { path: 'resources.instance_count', value: '2' },
    ]);
    if (job.type !== 'command') throw new Error('a command job expected');
    expect([job.spec.environment, job.compute, job.spec.instanceCount]).toEqual(['azureml:other:2', 'cpu', 2]);
  });

  it('reports a path through a value instead of crashing', () => {
    const root = workspace({ 'job.yml': 'command: echo hi\nenvironment: azureml:env:1\n' });
    expect(problemsOf(root, 'job.yml', ['command.x=1'])).toEqual([
      "job.yml:1:1 set 'command.x=1': 'command' is not a mapping in the job file.",
    ]);
  });

  it('suggests a field only for a typo, not for a different short word', () => {
    const root = workspace({
      'job.yml': 'command: echo hi\nenvironment: azureml:env:1\ntask: x\nenviroment_variables: {}\n',
    });
    expect(problemsOf(root, 'job.yml').map((p) => p.replace(/ Allowed: .*/, ''))).toEqual([
      "job.yml:3:1 A command job has an unknown field 'task'.",
      "job.yml:4:1 A command job has an unknown field 'enviroment_variables'; did you mean 'environment_variables'?",
    ]);
  });
});

describe('pipeline settings and component step run settings', () => {
  const component = [
    'type: command',
    'command: python train.py',
    'environment: azureml:env:1',
    'resources: {instance_count: 2}',
    'distribution: {type: tensorflow, worker_count: 2}',
  ].join('\n');
  const pipeline = [
    'type: pipeline',
    'settings:',
    '  default_datestore: azureml:workspaceblobstore',
    '  force_rerun: true',
    'jobs:',
    '  train:',
    '    component: ./train.yml',
    '    compute: azureml:gpu',
    '    resources: {instance_count: 2}',
    '    distribution: {type: pytorch, process_count_per_instance: 2}',
    '    limits: {timeout: 5400}',
    '    environment_variables: {MODE: fast}',
  ].join('\n');

  it('sends unknown settings as written and force_rerun, as azure-ai-ml does', () => {
    const root = workspace({ 'pipeline.yml': pipeline, 'train.yml': component });
    const job = loadJobFile(path.join(root, 'pipeline.yml'), root, []) as PipelineJob;
    expect(job.extraSettings).toEqual([
      {
        key: 'default_datestore',
        value: 'azureml:workspaceblobstore',
        suggestion: 'default_datastore',
        location: { file: 'pipeline.yml', line: 3, column: 3 },
      },
    ]);
    expect(job.forceRerun).toBe(true);
    expect(problemsOf(root, 'pipeline.yml', ['settings.force_rerun=maybe'])).toEqual([
      "pipeline.yml:1:1 'force_rerun' is 'maybe'; it must be true or false.",
    ]);
  });

  it("puts a component step's resources, distribution, limits and variables on its node, the file's in its spec", () => {
    const root = workspace({ 'pipeline.yml': pipeline, 'train.yml': component });
    const job = loadJobFile(path.join(root, 'pipeline.yml'), root, []) as PipelineJob;
    const step = job.steps[0]!;
    expect(stepNode(step, resolved(), job)).toMatchObject({
      resources: { instance_count: 2 },
      distribution: { distribution_type: 'PyTorch', process_count_per_instance: 2 },
      limits: { job_limits_type: 'Command', timeout: 'PT1H30M' },
      environment_variables: { MODE: 'fast' },
    });
    expect(anonymousComponent(job, step, resolved()).componentSpec).toMatchObject({
      resources: { instance_count: 2 },
      distribution: { type: 'tensorflow', worker_count: 2, parameter_server_count: 0 },
    });
  });

  it.each([
    [3600, 'PT1H'],
    [90, 'PT1M30S'],
    [90000, 'P1DT1H'],
    [86400, 'P1D'],
  ])('writes %i seconds as isodate does: %s', (seconds, text) => {
    expect(isoDuration(seconds)).toBe(text);
  });
});

describe('services', () => {
  const job = (services: string[]) =>
    ['command: python train.py', 'environment: azureml:env:1', 'services:', ...services.map((l) => `  ${l}`)].join(
      '\n',
    );

  it('reads services as azure-ai-ml sends them: log_dir and ssh_public_keys as properties, nodes all', () => {
    const root = workspace({
      'job.yml': job([
        'code: {type: vs_code}',
        'board: {type: tensor_board, log_dir: outputs/tb}',
        'shell: {type: ssh, ssh_public_keys: ssh-rsa AAA, nodes: all, port: 22}',
      ]),
    });
    const loaded = loadJobFile(path.join(root, 'job.yml'), root, []);
    expect(loaded.services).toEqual({
      code: { jobServiceType: 'VSCode' },
      board: { jobServiceType: 'TensorBoard', properties: { logDir: 'outputs/tb' } },
      shell: {
        jobServiceType: 'SSH',
        port: 22,
        nodes: { nodesValueType: 'All' },
        properties: { sshPublicKeys: 'ssh-rsa AAA' },
      },
    });
  });

  it('refuses unknown types, misplaced keys, other nodes, and services on jobs that would drop them', () => {
    const root = workspace({
      'bad.yml': job([
        'a: {type: rdp}',
        'b: {type: vs_code, log_dir: x}',
        'c: {type: ssh, nodes: head}',
        'd: {port: 80}',
      ]),
      'pipeline.yml': [
        'type: pipeline',
        'services: {code: {type: vs_code}}',
        'jobs:',
        '  a: {command: echo, environment: azureml:env:1}',
      ].join('\n'),
    });
    expect(problemsOf(root, 'bad.yml')).toEqual([
      "bad.yml:4:13 Service 'a''s 'type' is 'rdp'; allowed values are 'jupyter_lab', 'ssh', 'tensor_board', 'vs_code', 'custom'.",
      "bad.yml:5:22 Service 'b': 'log_dir' belongs to a service of type 'tensor_board', not 'vs_code'.",
      "bad.yml:6:25 Service 'c''s 'nodes' is 'head'; the only value is 'all'.",
      "bad.yml:7:3 Service 'd' needs 'type' (jupyter_lab, ssh, tensor_board, vs_code, custom).",
    ]);
    expect(problemsOf(root, 'pipeline.yml')).toEqual([
      "pipeline.yml:2:1 'services' on a pipeline job is not sent by action-pipeline yet; remove it, or set services on a command job or step.",
    ]);
  });
});

describe('compute placeholders of the samples', () => {
  it.each(['<ATTACHED_SPARK_POOL_NAME>', "'< your compute name >'"])('says %s is a placeholder to replace', (value) => {
    const root = workspace({ 'job.yml': `command: echo\nenvironment: azureml:env:1\ncompute: ${value}\n` });
    expect(problemsOf(root, 'job.yml')).toEqual([
      `job.yml:3:10 'compute' is '${value.replace(/'/g, '')}', a placeholder of the sample file: replace it with the name of your compute (azureml:NAME).`,
    ]);
  });
});

describe('component input bounds and enums', () => {
  const component = (inputs: string[]) =>
    [
      'type: command',
      'command: python train.py',
      'environment: azureml:env:1',
      'inputs:',
      ...inputs.map((l) => `  ${l}`),
    ].join('\n');
  const pipeline = 'type: pipeline\njobs:\n  train:\n    component: ./train.yml\n';

  it('sends min, max and enum in the component spec as azure-ai-ml writes them', () => {
    const root = workspace({
      'pipeline.yml': pipeline,
      'train.yml': component([
        'epochs: {type: integer, min: 0, max: 100, default: 10}',
        'ratio: {type: number, min: 0, max: 1, default: 0.2}',
        'schedule: {type: string, enum: [step, time-based], default: step}',
      ]),
    });
    const job = loadJobFile(path.join(root, 'pipeline.yml'), root, []) as PipelineJob;
    expect(anonymousComponent(job, job.steps[0]!, resolved()).componentSpec.inputs).toEqual({
      epochs: { type: 'integer', min: '0', max: '100', default: 10 },
      ratio: { type: 'number', min: '0.0', max: '1.0', default: 0.2 },
      schedule: { type: 'string', enum: ['step', 'time-based'], default: 'step' },
    });
  });

  it('refuses bounds on other types, bounds that are not numbers, and an enum that is not a list', () => {
    const root = workspace({
      'pipeline.yml': pipeline,
      'train.yml': component([
        'a: {type: string, min: 1, optional: true}',
        'b: {type: integer, max: 1.5, optional: true}',
        'c: {type: string, enum: step, optional: true}',
      ]),
    });
    expect(problemsOf(root, 'pipeline.yml')).toEqual([
      "train.yml:5:21 Input 'a' is of type string; 'min' applies to number and integer inputs.",
      "train.yml:6:27 Input 'b''s 'max' is '1.5'; it must be an integer.",
      "train.yml:7:27 Input 'c''s 'enum' must be a list of values.",
    ]);
  });

  it.each([
    [0, 'number', '0.0'],
    [1e-7, 'number', '1e-07'],
    [0.25, 'number', '0.25'],
    [7, 'integer', '7'],
  ])("writes %s (%s) as Python's str() does: %s", (value, type, text) => {
    expect(pythonNumberText(value, type)).toBe(text);
  });
});

describe('registry components', () => {
  it('says a registry component is not resolved yet, instead of calling it malformed', () => {
    const root = workspace({
      'pipeline.yml':
        'type: pipeline\njobs:\n  train:\n    component: azureml://registries/azureml/components/automl_hts_training\n',
    });
    expect(problemsOf(root, 'pipeline.yml')).toEqual([
      "pipeline.yml:4:16 Step 'train''s 'component' is 'azureml://registries/azureml/components/automl_hts_training', a registry component: action-pipeline runs workspace components (azureml:NAME:VERSION or azureml:NAME@latest) and does not resolve registry components yet; register the component in the workspace, or submit this file with az ml job create.",
    ]);
  });
});
