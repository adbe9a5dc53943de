// The AutoML reader of action-pipeline, task by task: what each task family takes and sends, what
// the 2024-04-01 API cannot carry (refused naming the key, never dropped), and that every REST name
// and enum value of action-pipeline/src/automl/schema.ts exists in the 2024-04-01 spec.

import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENUMS, TASK_DEFINITIONS, TASKS, type Kind, type Table } from '../../action-pipeline/src/automl/schema.js';
import { floatToStr, isoMinutes } from '../../action-pipeline/src/automl/read.js';
import { loadJobFile, type AutoMLJob, type PipelineJob } from '../../action-pipeline/src/jobFile.js';
import { autoMLJobBody, stepNode, type Resolved } from '../../action-pipeline/src/rest.js';
import { JobFileError } from '../../action-pipeline/src/yamlSource.js';
import { describeWithSpec, SPEC_DIR } from '../support/spec.js';

function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'automl-'));
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

const resolved = (): Resolved => ({
  computeId: (name) => `/ws/computes/${name}`,
  codeIds: new Map(),
  environmentIds: new Map(),
  dataUris: new Map(),
  componentIds: new Map(),
  registeredOutputs: new Map(),
});
const meta = { displayName: 'd', experimentName: 'e', description: undefined, tags: {}, properties: {} };

function body(yaml: string[], files: Record<string, string> = {}) {
  const root = workspace({ 'job.yml': yaml.join('\n') + '\n', ...files });
  const job = loadJobFile(path.join(root, 'job.yml'), root) as AutoMLJob;
  return autoMLJobBody(job, meta, resolved(), job.compute);
}

const DATA = [
  'training_data: {type: mltable, path: azureml:train:1}',
  'validation_data: {type: mltable, path: azureml:valid:1}',
];

describe('AutoML tasks', () => {
  it('classification: featurization, training, limits, n_cross_validations, test data and every limit are sent', () => {
    const b = body([
      'type: automl',
      'task: classification',
      'compute: azureml:cpu',
      ...DATA,
      'test_data: {type: mltable, path: azureml:test:1}',
      'target_column_name: y',
      'log_verbosity: debug',
      'n_cross_validations: 5',
      'positive_label: "yes"',
      'limits: {timeout_minutes: 90, trial_timeout_minutes: 20, max_trials: 4, max_concurrent_trials: 2, max_cores_per_trial: -1, enable_early_termination: true, exit_score: 0.9}',
      'featurization:',
      '  mode: custom',
      '  blocked_transformers: [WordEmbedding, label_encoder]',
      '  column_name_and_types: {age: Numeric}',
      '  transformer_params: {imputer: [{fields: [job], parameters: {strategy: most_frequent}}]}',
      'training:',
      '  allowed_training_algorithms: [light_gbm, XGBoostClassifier]',
      '  enable_stack_ensemble: false',
      '  ensemble_model_download_timeout_minutes: 10',
      '  stack_ensemble_settings: {stack_meta_learner_type: logistic_regression_cv}',
    ]);
    expect(b).toMatchObject({
      jobType: 'AutoML',
      computeId: '/ws/computes/cpu',
      taskDetails: {
        taskType: 'Classification',
        primaryMetric: 'AUCWeighted', // AutoMLClassificationSchema's load_default
        logVerbosity: 'Debug',
        targetColumnName: 'y',
        positiveLabel: 'yes',
        nCrossValidations: { mode: 'Custom', value: 5 },
        testData: { jobInputType: 'mltable', uri: 'azureml:test:1' },
        limitSettings: {
          timeout: 'PT1H30M',
          trialTimeout: 'PT20M',
          maxTrials: 4,
          maxConcurrentTrials: 2,
          maxCoresPerTrial: -1,
          enableEarlyTermination: true,
          exitScore: 0.9,
        },
        featurizationSettings: {
          mode: 'custom',
          blockedTransformers: ['WordEmbedding', 'LabelEncoder'],
          columnNameAndTypes: { age: 'Numeric' },
          transformerParams: { Imputer: [{ fields: ['job'], parameters: { strategy: 'most_frequent' } }] },
        },
        trainingSettings: {
          allowedTrainingAlgorithms: ['LightGBM', 'XGBoostClassifier'],
          enableStackEnsemble: false,
          ensembleModelDownloadTimeout: 'PT10M',
          stackEnsembleSettings: { stackMetaLearnerType: 'LogisticRegressionCV' },
        },
      },
    });
  });

  it('regression: its own algorithms and metrics', () => {
    const b = body([
      'type: automl',
      'task: regression',
      ...DATA,
      'target_column_name: price',
      'primary_metric: r2_score',
      'training: {blocked_training_algorithms: [elastic_net]}',
    ]);
    expect(b.taskDetails).toMatchObject({
      taskType: 'Regression',
      primaryMetric: 'R2Score',
      trainingSettings: { blockedTrainingAlgorithms: ['ElasticNet'] },
    });
  });

  it('forecasting: every forecasting setting, auto and custom modes', () => {
    const b = body([
      'type: automl',
      'task: forecasting',
      ...DATA,
      'target_column_name: demand',
      'n_cross_validations: auto',
      'forecasting:',
      '  time_column_name: date',
      '  forecast_horizon: auto',
      '  target_lags: [1, 7]',
      '  target_rolling_window_size: 4',
      '  seasonality: auto',
      '  time_series_id_column_names: store',
      '  frequency: W-THU',
      '  country_or_region_for_holidays: US',
      '  cv_step_size: 2',
      '  feature_lags: auto',
      '  short_series_handling_config: pad',
      '  use_stl: season',
      '  target_aggregate_function: sum',
    ]);
    expect(b.taskDetails).toMatchObject({
      taskType: 'Forecasting',
      primaryMetric: 'NormalizedRootMeanSquaredError',
      nCrossValidations: { mode: 'Auto' },
      forecastingSettings: {
        timeColumnName: 'date',
        forecastHorizon: { mode: 'Auto' },
        targetLags: { mode: 'Custom', values: [1, 7] },
        targetRollingWindowSize: { mode: 'Custom', value: 4 },
        seasonality: { mode: 'Auto' },
        timeSeriesIdColumnNames: ['store'],
        frequency: 'W-THU',
        countryOrRegionForHolidays: 'US',
        cvStepSize: 2,
        featureLags: 'auto',
        shortSeriesHandlingConfig: 'pad',
        useStl: 'season',
        targetAggregateFunction: 'sum',
      },
    });
  });

  it('image tasks: model settings, sweep and search space as azure-ai-ml writes them', () => {
    const b = body([
      'type: automl',
      'task: image_object_detection',
      ...DATA,
      'target_column_name: label',
      'training_parameters: {early_stopping: True, model_size: medium, optimizer: adamw, step_lr_gamma: 0.5}',
      'sweep: {sampling_algorithm: random, early_termination: {type: median_stopping, delay_evaluation: 2}}',
      'search_space:',
      '  - model_name: {type: choice, values: [yolov5]}',
      '    learning_rate: {type: uniform, min_value: 0.00001, max_value: 0.01}',
      '    min_size: {type: choice, values: [600, 800]}',
      '    multi_scale: true',
    ]);
    expect(b.taskDetails).toEqual({
      taskType: 'ImageObjectDetection',
      primaryMetric: 'MeanAveragePrecision',
      logVerbosity: 'Info',
      targetColumnName: 'label',
      trainingData: { jobInputType: 'mltable', uri: 'azureml:train:1' },
      validationData: { jobInputType: 'mltable', uri: 'azureml:valid:1' },
      limitSettings: {},
      modelSettings: { earlyStopping: true, modelSize: 'Medium', optimizer: 'Adamw', stepLRGamma: 0.5 },
      sweepSettings: {
        samplingAlgorithm: 'random',
        earlyTermination: { policyType: 'MedianStopping', delayEvaluation: 2, evaluationInterval: 1 },
      },
      searchSpace: [
        {
          modelName: "choice('yolov5')",
          learningRate: 'uniform(0.00001,0.01)',
          minSize: 'choice(600,800)',
          multiScale: 'True',
        },
      ],
    });
  });

  it('image classification multilabel defaults to IOU; text tasks send their featurization and NLP limits', () => {
    expect(
      body(['type: automl', 'task: image_classification_multilabel', ...DATA, 'target_column_name: l']).taskDetails,
    ).toMatchObject({ primaryMetric: 'IOU' });
    const text = body([
      'type: automl',
      'task: text_classification',
      ...DATA,
      'target_column_name: y',
      'featurization: {dataset_language: deu}',
      'limits: {timeout_minutes: 60}',
    ]);
    expect(text.taskDetails).toMatchObject({
      taskType: 'TextClassification',
      primaryMetric: 'Accuracy',
      featurizationSettings: { datasetLanguage: 'deu' },
      limitSettings: { maxTrials: 1, timeout: 'PT1H' },
    });
    // Read-only in the spec (TextNer.primaryMetric): checked, not sent.
    const ner = body(['type: automl', 'task: text_ner', ...DATA, 'primary_metric: accuracy']);
    expect(ner.taskDetails).toMatchObject({ taskType: 'TextNER', limitSettings: { maxTrials: 1 } });
    expect(ner.taskDetails).not.toHaveProperty('primaryMetric');
  });

  it('serverless resources, queue settings, identity and environment variables are sent', () => {
    const b = body([
      'type: automl',
      'task: regression',
      ...DATA,
      'target_column_name: y',
      'resources: {instance_type: Standard_E4s_v3, instance_count: 4}',
      'queue_settings: {job_tier: spot}',
      'identity: {type: user_identity}',
      'environment_variables: {A: "1"}',
    ]);
    expect(b).toMatchObject({
      resources: { instanceType: 'Standard_E4s_v3', instanceCount: 4 },
      queueSettings: { jobTier: 'Spot' },
      identity: { identityType: 'UserIdentity' },
      environmentVariables: { A: '1' },
    });
    expect(b).not.toHaveProperty('computeId');
  });

  it('a local MLTable folder is a local data input (uploaded at run time)', () => {
    const root = workspace({
      'job.yml':
        'type: automl\ntask: regression\ntarget_column_name: y\ntraining_data: {type: mltable, path: ./train}\n',
      'train/MLTable': 'paths: []\n',
    });
    const job = loadJobFile(path.join(root, 'job.yml'), root) as AutoMLJob;
    expect(job.spec.data.training_data).toMatchObject({
      kind: 'data',
      type: 'mltable',
      local: true,
      path: path.join(root, 'train'),
    });
  });
});

describe('AutoML refusals name the key', () => {
  it('refuses what 2024-04-01 cannot carry, unknown and misplaced keys, bad values, all at once', () => {
    const root = workspace({
      'nlp.yml': [
        'type: automl',
        'task: text_ner',
        ...DATA,
        'limits: {max_nodes: 4}',
        'sweep: {sampling_algorithm: random}',
        'forecasting: {time_column_name: t}',
        'trainig: {}',
        '',
      ].join('\n'),
      'bad.yml': ['type: automl', 'task: image_detection', ''].join('\n'),
      'values.yml': [
        'type: automl',
        'task: classification',
        ...DATA,
        'target_column_name: y',
        'primary_metric: iou',
        'training: {allowed_training_algorithms: [prophet]}',
        'resources: instance_type="Standard_E4s_v3" instance_count=5',
        '',
      ].join('\n'),
    });
    expect(problemsOf(root, 'nlp.yml')).toEqual(
      [
        "nlp.yml:7 A automl job has an unknown field 'trainig'; did you mean 'training'? Allowed: " +
          expect.any(String),
        expect.stringContaining(
          "nlp.yml:5 'limits.max_nodes' is read by azure-ai-ml, but Azure ML's REST API 2024-04-01",
        ),
        expect.stringContaining("nlp.yml:6 'sweep' is read by azure-ai-ml, but Azure ML's REST API 2024-04-01"),
        expect.stringContaining(
          "nlp.yml:7 An automl job (task text_ner) has a field 'forecasting' that text_ner does not take.",
        ),
      ].map((p, i) =>
        i === 0
          ? expect.stringMatching(
              /^nlp\.yml:\d+ A automl job has an unknown field 'trainig'; did you mean 'training'\? Allowed: /,
            )
          : p,
      ),
    );
    expect(problemsOf(root, 'bad.yml')).toEqual([
      expect.stringContaining("'task' is 'image_detection'; allowed values are classification, regression"),
    ]);
    expect(problemsOf(root, 'values.yml')).toEqual([
      expect.stringContaining("'primary_metric' is 'iou'; allowed values are 'auc_weighted', 'accuracy'"),
      expect.stringContaining(
        "'training.allowed_training_algorithms' is 'prophet'; allowed values are 'logistic_regression'",
      ),
      expect.stringContaining("'resources' must be a mapping of names to values."),
    ]);
  });
});

describe('AutoML steps in pipelines', () => {
  it('sends an automl node with its bindings, and binds a later step to its best_model', () => {
    const root = workspace({
      'p.yml': [
        'type: pipeline',
        'settings: {default_compute: azureml:cpu}',
        'inputs:',
        '  train: {type: mltable, path: azureml:train:1}',
        'jobs:',
        '  fit:',
        '    type: automl',
        '    task: regression',
        '    target_column_name: y',
        '    training_data: ${{parent.inputs.train}}',
        '    featurization: {mode: "off"}',
        '    outputs: {best_model: {type: mlflow_model}}',
        '  use:',
        '    command: echo ${{inputs.m}}',
        '    environment: azureml:env:1',
        '    inputs: {m: "${{parent.jobs.fit.outputs.best_model}}"}',
        '  wrong:',
        '    command: echo ${{inputs.m}}',
        '    environment: azureml:env:1',
        '    inputs: {m: "${{parent.jobs.fit.outputs.model}}"}',
        '',
      ].join('\n'),
    });
    expect(problemsOf(root, 'p.yml')).toEqual([
      expect.stringContaining("names output 'model' of step 'fit', which declares best_model."),
    ]);
    writeFileSync(path.join(root, 'p.yml'), readFileSync(path.join(root, 'p.yml'), 'utf8').split('  wrong:')[0]!);
    const job = loadJobFile(path.join(root, 'p.yml'), root) as PipelineJob;
    expect(stepNode(job.steps[0]!, resolved())).toEqual({
      name: 'fit',
      type: 'automl',
      tags: {},
      properties: {},
      task: 'regression',
      target_column_name: 'y',
      training_data: '${{parent.inputs.train}}',
      featurization: { mode: 'off' },
      log_verbosity: 'info',
      primary_metric: 'normalized_root_mean_squared_error',
      outputs: { best_model: { job_output_type: 'mlflow_model' } },
    });
  });
});

describe('values written as azure-ai-ml writes them', () => {
  it.each([
    [20, 'PT20M'],
    [60, 'PT1H'],
    [180, 'PT3H'],
    [90, 'PT1H30M'],
    [1440, 'P1D'],
    [1500, 'P1DT1H'],
  ])('%i minutes is %s (isodate.duration_isoformat)', (minutes, iso) => expect(isoMinutes(minutes)).toBe(iso));
  it.each([
    [0.001, '0.001'],
    [1e-5, '0.00001'],
    [2, '2.0'],
    [1.5e21, '1500000000000000000000.0'],
  ])('%d is %s (float_to_str)', (value, text) => expect(floatToStr(value)).toBe(text));
});

const SPEC = path.join(SPEC_DIR ?? '', '2024-04-01', 'mfe.json');

describeWithSpec('schema.ts agrees with the 2024-04-01 spec', () => {
  type Def = {
    properties?: Record<string, { $ref?: string; items?: { $ref?: string } }>;
    allOf?: { $ref: string }[];
    enum?: string[];
  };
  // Read on first use: jest runs a skipped describe's body too, and without the spec there is no file.
  let loaded: Record<string, Def> | undefined;
  const definitionsOf = (): Record<string, Def> =>
    (loaded ??= (JSON.parse(readFileSync(SPEC, 'utf8')) as { definitions: Record<string, Def> }).definitions);
  const ref = (r: string | undefined) => r?.split('/').pop() ?? '';
  const props = (name: string): Record<string, { $ref?: string; items?: { $ref?: string } }> => {
    const d = definitionsOf()[name] ?? {};
    return Object.assign({}, ...(d.allOf ?? []).map((a) => props(ref(a.$ref))), d.properties ?? {});
  };
  /** Every REST name of a table is a property of its definition; nested tables are checked against theirs. */
  function check(table: Table, definition: string, where: string, out: string[]): void {
    const p = props(definition);
    for (const [key, field] of Object.entries(table)) {
      if (!field.rest) continue;
      const prop = p[field.rest];
      if (!prop) {
        out.push(`${where}.${key}: ${definition} has no '${field.rest}'`);
        continue;
      }
      const kind: Kind = field.kind;
      if (typeof kind === 'object' && 'object' in kind) check(kind.object, ref(prop.$ref), `${where}.${key}`, out);
      if (typeof kind === 'object' && 'searchSpace' in kind)
        check(kind.searchSpace, ref(prop.items?.$ref), `${where}.${key}`, out);
    }
  }
  it('every REST property named exists where it is sent', () => {
    const out: string[] = [];
    for (const [task, schema] of Object.entries(TASKS)) check(schema.fields, TASK_DEFINITIONS[task]!, task, out);
    expect(out).toEqual([]);
  });
  it('every enum is the spec enum of that name', () => {
    for (const [name, values] of Object.entries(ENUMS))
      expect([name, [...values]]).toEqual([name, definitionsOf()[name]?.enum]);
  });
});
