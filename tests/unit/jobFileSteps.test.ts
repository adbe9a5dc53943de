// Sweep and Spark jobs, and spark, parallel and sweep pipeline steps, read the way azure-ai-ml 1.35's
// schemas read them and sent in the shapes it sends (tests/interop/captured/ holds its real bodies).

import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  commandsOf,
  loadJobFile,
  type PipelineJob,
  type SparkJob,
  type SweepJob,
} from '../../action-pipeline/src/jobFile.js';
import { typedComponentSpec } from '../../action-pipeline/src/jobFile/steps.js';
import { isoDuration } from '../../action-pipeline/src/jobFile/sweep.js';
import { miniBatchSize } from '../../action-pipeline/src/jobFile/parallel.js';
import {
  pipelineJobBody,
  sparkJobBody,
  stepNode,
  sweepJobBody,
  typedResolution,
  type Resolved,
} from '../../action-pipeline/src/rest.js';
import { JobFileError } from '../../action-pipeline/src/yamlSource.js';

function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'jobfile-steps-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

function problemsOf(root: string, file: string): string[] {
  try {
    loadJobFile(path.join(root, file), root);
  } catch (error) {
    if (error instanceof JobFileError)
      return error.problems.map((p) => `${p.location.file}:${p.location.line} ${p.message}`);
    throw error;
  }
  return [];
}

function resolvedFor(job: Parameters<typeof commandsOf>[0]): Resolved {
  const r: Resolved = {
    computeId: (name) => `/ws/computes/${name}`,
    codeIds: new Map(),
    environmentIds: new Map(),
    dataUris: new Map(),
    componentIds: new Map(),
    registeredOutputs: new Map(),
    datastoreId: (name) => `/ws/datastores/${name}`,
  };
  commandsOf(job).forEach((c, i) => {
    if (c.code) r.codeIds.set(c, `/ws/codes/c${i}/versions/1`);
    if (c.environment) r.environmentIds.set(c, `/ws/environments/e${i}/versions/1`);
  });
  return r;
}

const meta = { displayName: 'd', experimentName: 'x', description: undefined, tags: {}, properties: {} };

const SWEEP = `type: sweep
trial:
  command: python s.py --A \${{inputs.A}} --B \${{search_space.B}} --C \${{search_space.C}}
  code: src
  environment: azureml:env:1
inputs:
  A: 0.5
sampling_algorithm: {type: random, seed: 7, rule: sobol}
search_space:
  B: {type: choice, values: [hello, {x: {type: uniform, min_value: 1, max_value: 2}}]}
  C: {type: qnormal, mu: 1, sigma: 0.5, q: 2}
objective: {goal: maximize, primary_metric: acc}
early_termination: {type: bandit, slack_factor: 0.1}
limits: {max_total_trials: 4, max_concurrent_trials: 2, timeout: 5400, trial_timeout: 90}
`;

describe('sweep jobs', () => {
  const root = workspace({ 'sweep.yml': SWEEP, 'src/s.py': 'print(1)\n' });

  it('sends every setting as SweepJob (2024-04-01) takes it, durations as azure-ai-ml writes them', () => {
    const job = loadJobFile(path.join(root, 'sweep.yml'), root) as SweepJob;
    const body = sweepJobBody(job, meta, resolvedFor(job), 'cpu');
    expect(body).toMatchObject({
      jobType: 'Sweep',
      computeId: '/ws/computes/cpu',
      inputs: { A: { jobInputType: 'literal', value: '0.5' } },
      searchSpace: { B: ['choice', [['hello', { x: ['uniform', [1, 2]] }]]], C: ['qnormal', [1, 0.5, 2]] },
      samplingAlgorithm: { samplingAlgorithmType: 'Random', seed: 7, rule: 'Sobol' },
      objective: { goal: 'maximize', primaryMetric: 'acc' },
      earlyTermination: {
        policyType: 'Bandit',
        slackFactor: 0.1,
        slackAmount: 0,
        delayEvaluation: 0,
        evaluationInterval: 0,
      },
      limits: {
        jobLimitsType: 'Sweep',
        maxTotalTrials: 4,
        maxConcurrentTrials: 2,
        timeout: 'PT1H30M',
        trialTimeout: 'PT1M30S',
      },
      trial: { codeId: '/ws/codes/c0/versions/1', environmentId: '/ws/environments/e0/versions/1' },
    });
  });

  it.each([
    [3600, 'PT1H'],
    [7200, 'PT2H'],
    [90, 'PT1M30S'],
    [86400 + 60, 'P1DT1M'],
    [86400, 'P1D'],
  ])('writes %i seconds as %s', (seconds, iso) => expect(isoDuration(seconds)).toBe(iso));

  it.each([
    ['a distribution the CLI does not have', 'search_space:\n  B: {type: gauss, mu: 1}', 'allowed values are uniform'],
    ['a missing parameter', 'search_space:\n  B: {type: uniform, min_value: 1}', "needs 'max_value'"],
    ['a stray parameter', 'search_space:\n  B: {type: randint, upper: 3, lower: 1}', "unknown field 'lower'"],
    [
      'logbase, which 2024-04-01 cannot carry',
      'sampling_algorithm: {type: random, logbase: e}',
      "'logbase' is not in Azure ML's stable REST API",
    ],
    [
      'an undeclared search_space binding',
      'search_space:\n  Z: {type: randint, upper: 3}',
      "uses ${{search_space.B}}, but the sweep job's search_space declares Z",
    ],
    ['sweep-level resources', 'resources: {instance_count: 2}', "move them to 'trial.resources'"],
  ])('refuses %s, naming file and line', (_, replacement, expected) => {
    const key = replacement.split(':')[0] ?? '';
    const text =
      SWEEP.split('\n')
        .filter((l) => !l.startsWith(`${key}:`) && !(key === 'search_space' && /^ {2}[BC]:/.test(l)))
        .join('\n') + `\n${replacement}\n`;
    const r = workspace({ 'sweep.yml': text, 'src/s.py': '' });
    expect(problemsOf(r, 'sweep.yml').join('\n')).toContain(expected);
    expect(problemsOf(r, 'sweep.yml')[0]).toMatch(/^sweep\.yml:\d+ /);
  });
});

const SPARK = `type: spark
code: ./src
entry: {file: main.py}
py_files: [a.zip]
conf:
  spark.driver.cores: 1
  spark.dynamicAllocation.enabled: True
  spark.dynamicAllocation.minExecutors: 1
  spark.dynamicAllocation.maxExecutors: 4
inputs:
  data: {type: uri_file, path: azureml://datastores/workspaceblobstore/paths/d.csv, mode: direct}
args: --data \${{inputs.data}}
resources: {instance_type: standard_e4s_v3, runtime_version: "3.4"}
`;

describe('spark jobs', () => {
  const root = workspace({ 'spark.yml': SPARK, 'src/main.py': '' });

  it('sends SparkJob with conf as text, the entry type, and the identity azure-ai-ml defaults to', () => {
    const job = loadJobFile(path.join(root, 'spark.yml'), root) as SparkJob;
    const body = sparkJobBody(job, meta, resolvedFor(job), undefined);
    expect(body).toMatchObject({
      jobType: 'Spark',
      codeId: '/ws/codes/c0/versions/1',
      entry: { file: 'main.py', sparkJobEntryType: 'SparkJobPythonEntry' },
      pyFiles: ['a.zip'],
      conf: {
        'spark.driver.cores': '1',
        'spark.dynamicAllocation.enabled': 'True',
        'spark.executor.instances': '1',
      },
      identity: { identityType: 'UserIdentity' },
      resources: { instanceType: 'standard_e4s_v3', runtimeVersion: '3.4' },
      inputs: { data: { jobInputType: 'uri_file', mode: 'Direct' } },
    });
    // On a named (attached) pool azure-ai-ml's default is the managed identity.
    expect(sparkJobBody(job, meta, resolvedFor(job), 'pool')).toMatchObject({ identity: { identityType: 'Managed' } });
  });

  it('refuses a missing entry, duplicate files and undeclared args bindings', () => {
    const r = workspace({
      'spark.yml': SPARK.replace('entry: {file: main.py}\n', '')
        .replace('[a.zip]', '[a.zip, a.zip]')
        .replace('inputs.data', 'inputs.other'),
      'src/main.py': '',
    });
    const problems = problemsOf(r, 'spark.yml').join('\n');
    expect(problems).toContain("needs 'entry'");
    expect(problems).toContain('duplicate entries');
    expect(problems).toContain('uses ${{inputs.other}}, but inputs declares data');
  });
});

const PIPELINE = `type: pipeline
settings: {default_compute: azureml:cpu, default_datastore: azureml:workspaceblobstore}
inputs:
  raw: {type: uri_file, path: azureml://datastores/workspaceblobstore/paths/raw.csv, mode: direct}
  node_compute: cpu
jobs:
  wrangle:
    type: spark
    description: clean the data
    tags: {stage: prep}
    code: ./src
    entry: {file: main.py}
    inputs:
      data: \${{parent.inputs.raw}}
    outputs: {out: {type: uri_folder, mode: direct}}
    args: --data \${{inputs.data}} --out \${{outputs.out}}
    resources: {instance_type: standard_e4s_v3, runtime_version: "3.4"}
  score:
    type: parallel
    compute: \${{parent.inputs.node_compute}}
    inputs:
      data:
        path: \${{parent.jobs.wrangle.outputs.out}}
        type: mltable
        mode: direct
      k: 3
    outputs: {scores: {type: uri_file}}
    input_data: \${{inputs.data}}
    mini_batch_size: 5mb
    partition_keys: [a, b]
    retry_settings: {max_retries: 2, timeout: 60}
    environment_variables: {X: "1"}
    task:
      type: run_function
      code: ./src
      entry_script: score.py
      environment: azureml:env:1
      append_row_to: \${{outputs.scores}}
  tune:
    type: sweep
    trial: ./trial.yml
    inputs:
      data: \${{parent.jobs.wrangle.outputs.out}}
    outputs:
      model:
    sampling_algorithm: grid
    search_space: {lr: {type: choice, values: [0.1, 0.01]}}
    objective: {goal: minimize, primary_metric: loss}
    limits: {max_total_trials: 2}
`;

const TRIAL = `type: command
inputs: {data: {type: uri_folder}, lr: {type: number, default: 0.1}}
outputs: {model: {type: mlflow_model}}
code: ./src
environment: azureml:env:1
command: python t.py --data \${{inputs.data}} --lr \${{inputs.lr}} --model \${{outputs.model}}
`;

describe('spark, parallel and sweep steps', () => {
  const root = workspace({ 'p.yml': PIPELINE, 'trial.yml': TRIAL, 'src/main.py': '' });
  const job = loadJobFile(path.join(root, 'p.yml'), root) as PipelineJob;
  const r = resolvedFor(job);
  for (const step of job.steps) r.componentIds.set(step, `/ws/components/azureml_anonymous/versions/${step.name}`);
  const [wrangle, score, tune] = job.steps as [
    PipelineJob['steps'][number],
    PipelineJob['steps'][number],
    PipelineJob['steps'][number],
  ];

  it('builds an inline spark component whose ports follow what the step binds to', () => {
    expect(typedComponentSpec(wrangle as never, typedResolution(job, wrangle, r))).toMatchObject({
      type: 'spark',
      _source: 'YAML.JOB',
      code: 'azureml:/ws/codes/c0/versions/1',
      entry: { file: 'main.py' },
      inputs: { data: { type: 'uri_file', mode: 'direct' } },
      outputs: { out: { type: 'uri_folder', mode: 'direct' } },
    });
    expect(stepNode(wrangle, r, job)).toMatchObject({
      type: 'spark',
      description: 'clean the data',
      tags: { stage: 'prep' },
      identity: { identity_type: 'UserIdentity' },
      entry: { file: 'main.py', spark_job_entry_type: 'SparkJobPythonEntry' },
      resources: { instance_type: 'standard_e4s_v3', runtime_version: '3.4' },
    });
  });

  it('sends a parallel node and component with azure-ai-ml values: sizes in bytes, keys as JSON text', () => {
    const component = typedComponentSpec(score as never, typedResolution(job, score, r));
    expect(component).toMatchObject({
      type: 'parallel',
      mini_batch_size: String(5 * 1024 * 1024),
      partition_keys: '["a", "b"]',
      inputs: { data: { type: 'mltable', mode: 'direct' }, k: { type: 'integer', default: '3' } },
      task: { entry_script: 'score.py', environment: 'azureml:/ws/environments/e1/versions/1' },
    });
    expect(component).not.toHaveProperty('environment_variables');
    expect(stepNode(score, r, job)).toMatchObject({
      type: 'parallel',
      computeId: '${{parent.inputs.node_compute}}',
      mini_batch_size: 5 * 1024 * 1024,
      environment_variables: { X: '1' },
      inputs: { data: { job_input_type: 'literal', mode: 'Direct' } },
    });
  });

  it('sends a sweep node pointing at its trial component, settings in the YAML shape', () => {
    const node = stepNode(tune, r, job);
    expect(node).toMatchObject({
      type: 'sweep',
      trial: { componentId: '/ws/components/azureml_anonymous/versions/tune' },
      sampling_algorithm: 'grid',
      search_space: { lr: { type: 'choice', values: [0.1, 0.01] } },
      limits: { max_total_trials: 2 },
    });
    expect(node).not.toHaveProperty('componentId');
    expect(node).not.toHaveProperty('outputs'); // `model:` with nothing is left out, as azure-ai-ml does
  });

  it('sends settings.default_datastore as the datastore id', () => {
    expect(pipelineJobBody(job, meta, r, 'cpu').settings).toMatchObject({
      default_datastore: '/ws/datastores/workspaceblobstore',
    });
  });

  it.each([
    [
      'an unknown parallel key',
      'mini_batch_size: 5mb',
      'mini_batch_sise: 5mb',
      "unknown field 'mini_batch_sise'; did you mean 'mini_batch_size'?",
    ],
    [
      'a bad mini_batch_size',
      'mini_batch_size: 5mb',
      'mini_batch_size: 5tb',
      "'mini_batch_size' must be a count of files or a size",
    ],
    [
      'a compute bound to an input the pipeline lacks',
      'parent.inputs.node_compute',
      'parent.inputs.nope',
      "names pipeline input 'nope'",
    ],
    [
      'a trial input the trial does not declare',
      '      data: ${{parent.jobs.wrangle.outputs.out}}\n    outputs:',
      '      other: 1\n    outputs:',
      "sets input 'other', which trial ./trial.yml does not declare",
    ],
  ])('refuses %s', (_, from, to, expected) => {
    const w = workspace({ 'p.yml': PIPELINE.replace(from, to), 'trial.yml': TRIAL, 'src/main.py': '' });
    expect(problemsOf(w, 'p.yml').join('\n')).toContain(expected);
  });

  it.each([
    ['10kb', 10240],
    ['3', 3],
    [7, 7],
    ['2GB', 2 * 1024 ** 3],
    ['1tb', undefined],
  ])('reads mini_batch_size %s as %s', (value, bytes) => expect(miniBatchSize(value)).toBe(bytes));
});
