// The AutoML job YAML as azure-ai-ml 1.35's marshmallow schemas read it (azure/ai/ml/_schema/automl/),
// one table per task family: each YAML key with the REST property of Azure ML's 2024-04-01 API it
// becomes (mfe.json: Classification, Regression, Forecasting, ImageClassification..., TextNer) and how
// its value is read. tests/unit/automlSchema.test.ts checks every REST name and enum here against the spec.

/** How a YAML value is read, and turned into its REST value. */
export type Kind =
  | 'string'
  | 'int'
  | 'float'
  | 'bool'
  /** `timeout_minutes`: whole minutes, sent as an ISO 8601 duration (azure-ai-ml's to_iso_duration_format_mins). */
  | 'minutes'
  | 'stringList'
  | 'intList'
  /** A string or a list of strings, sent as a list (forecasting's time_series_id_column_names). */
  | 'stringOrList'
  | 'stringMap'
  /** A mapping taken as it is (stack_meta_learner_kwargs, resources.properties). */
  | 'dict'
  /** `auto` or a whole number: {mode: Auto} or {mode: Custom, value} (ForecastHorizon, Seasonality...). */
  | 'autoOrInt'
  /** `auto`, a whole number or a list of them: {mode: Auto} or {mode: Custom, values} (TargetLags). */
  | 'targetLags'
  /** featurization.transformer_params: {imputer: [{fields, parameters}]}. */
  | 'transformerParams'
  /** sweep.early_termination: bandit, median_stopping or truncation_selection. */
  | 'earlyTermination'
  /** The MLTable a task trains, validates or tests on (MLTableJobInput). */
  | 'data'
  /** A StringTransformedEnum: the YAML spelling is the schema's transform of a REST value. */
  | Choice
  | { object: Table }
  /** search_space: a list of subspaces whose values are sweep distributions, sent as strings. */
  | { searchSpace: Table }
  /** In azure-ai-ml's schema, but the 2024-04-01 API has no field for it: refused, never dropped. */
  | { notInApi: string };

export interface Choice {
  /** The values as the REST API (or azure-ai-ml's enum) spells them. */
  values: readonly string[];
  /** azure-ai-ml's casing_transform: `snake` (camel_to_snake) or `lower` (the default, str.lower). */
  yaml: 'snake' | 'lower';
  /** What azure-ai-ml sends: the REST spelling, or the YAML's transformed spelling as read. */
  rest: 'spec' | 'as-read';
  /** A list of such values (allowed_training_algorithms, blocked_transformers). */
  list?: boolean;
}

export interface Field {
  /** The REST property (camelCase); absent for keys handled by the reader itself (task, data). */
  rest?: string;
  kind: Kind;
}

export type Table = Record<string, Field>;

/** azure-ai-ml's camel_to_snake (_utils/utils.py): the YAML spelling of an enum value. */
export function camelToSnake(text: string): string {
  const convert = (t: string) =>
    t
      .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .toLowerCase();
  return text.includes(',')
    ? text
        .split(',')
        .map((t) => convert(t.trim()))
        .join(',')
    : convert(text);
}

const snake = (values: readonly string[]): Choice => ({ values, yaml: 'snake', rest: 'spec' });
const lower = (values: readonly string[]): Choice => ({ values, yaml: 'lower', rest: 'as-read' });
const field = (rest: string, kind: Kind): Field => ({ rest, kind });
const notInApi = (definition: string): Field => ({ kind: { notInApi: definition } });

// Enums of the 2024-04-01 spec (mfe.json definitions of the same name).
export const ENUMS = {
  ClassificationPrimaryMetrics: [
    'AUCWeighted',
    'Accuracy',
    'NormMacroRecall',
    'AveragePrecisionScoreWeighted',
    'PrecisionScoreWeighted',
  ],
  ClassificationMultilabelPrimaryMetrics: [
    'AUCWeighted',
    'Accuracy',
    'NormMacroRecall',
    'AveragePrecisionScoreWeighted',
    'PrecisionScoreWeighted',
    'IOU',
  ],
  RegressionPrimaryMetrics: [
    'SpearmanCorrelation',
    'NormalizedRootMeanSquaredError',
    'R2Score',
    'NormalizedMeanAbsoluteError',
  ],
  ForecastingPrimaryMetrics: [
    'SpearmanCorrelation',
    'NormalizedRootMeanSquaredError',
    'R2Score',
    'NormalizedMeanAbsoluteError',
  ],
  ObjectDetectionPrimaryMetrics: ['MeanAveragePrecision'],
  InstanceSegmentationPrimaryMetrics: ['MeanAveragePrecision'],
  LogVerbosity: ['NotSet', 'Debug', 'Info', 'Warning', 'Error', 'Critical'],
  BlockedTransformers: [
    'TextTargetEncoder',
    'OneHotEncoder',
    'CatTargetEncoder',
    'TfIdf',
    'WoETargetEncoder',
    'LabelEncoder',
    'WordEmbedding',
    'NaiveBayes',
    'CountVectorizer',
    'HashOneHotEncoder',
  ],
  ClassificationModels: [
    'LogisticRegression',
    'SGD',
    'MultinomialNaiveBayes',
    'BernoulliNaiveBayes',
    'SVM',
    'LinearSVM',
    'KNN',
    'DecisionTree',
    'RandomForest',
    'ExtremeRandomTrees',
    'LightGBM',
    'GradientBoosting',
    'XGBoostClassifier',
  ],
  RegressionModels: [
    'ElasticNet',
    'GradientBoosting',
    'DecisionTree',
    'KNN',
    'LassoLars',
    'SGD',
    'RandomForest',
    'ExtremeRandomTrees',
    'LightGBM',
    'XGBoostRegressor',
  ],
  ForecastingModels: [
    'AutoArima',
    'Prophet',
    'Naive',
    'SeasonalNaive',
    'Average',
    'SeasonalAverage',
    'ExponentialSmoothing',
    'Arimax',
    'TCNForecaster',
    'ElasticNet',
    'GradientBoosting',
    'DecisionTree',
    'KNN',
    'LassoLars',
    'SGD',
    'RandomForest',
    'ExtremeRandomTrees',
    'LightGBM',
    'XGBoostRegressor',
  ],
  StackMetaLearnerType: [
    'None',
    'LogisticRegression',
    'LogisticRegressionCV',
    'LightGBMClassifier',
    'ElasticNet',
    'ElasticNetCV',
    'LightGBMRegressor',
    'LinearRegression',
  ],
  LearningRateScheduler: ['None', 'WarmupCosine', 'Step'],
  StochasticOptimizer: ['None', 'Sgd', 'Adam', 'Adamw'],
  ModelSize: ['None', 'Small', 'Medium', 'Large', 'ExtraLarge'],
  ValidationMetricType: ['None', 'Coco', 'Voc', 'CocoVoc'],
  ShortSeriesHandlingConfiguration: ['None', 'Auto', 'Pad', 'Drop'],
  TargetAggregationFunction: ['None', 'Sum', 'Max', 'Min', 'Mean'],
  FeatureLags: ['None', 'Auto'],
  UseStl: ['None', 'Season', 'SeasonTrend'],
  JobTier: ['Null', 'Spot', 'Basic', 'Standard', 'Premium'],
} as const;

/** azure-ai-ml's AutoMLTransformerParameterKeys (constants/_job/automl.py). */
const TRANSFORMER_KEYS = ['Imputer', 'TfIdf', 'HashOneHotEncoder'];

// ---- shared pieces ----------------------------------------------------------------------------

/** AutoMLJobSchema + AutoMLVerticalSchema: what every task has (automl_job.py, automl_vertical.py). */
const VERTICAL: Table = {
  log_verbosity: field('logVerbosity', snake(ENUMS.LogVerbosity)),
  training_data: field('trainingData', 'data'),
  target_column_name: field('targetColumnName', 'string'),
};

/** TrainingSettingsSchema (training_settings.py): `training` of the tabular tasks. */
function trainingTable(models: readonly string[]): Table {
  return {
    enable_dnn_training: field('enableDnnTraining', 'bool'),
    enable_model_explainability: field('enableModelExplainability', 'bool'),
    enable_onnx_compatible_models: field('enableOnnxCompatibleModels', 'bool'),
    enable_stack_ensemble: field('enableStackEnsemble', 'bool'),
    enable_vote_ensemble: field('enableVoteEnsemble', 'bool'),
    ensemble_model_download_timeout_minutes: field('ensembleModelDownloadTimeout', 'minutes'),
    stack_ensemble_settings: field('stackEnsembleSettings', {
      object: {
        stack_meta_learner_kwargs: field('stackMetaLearnerKWargs', 'dict'),
        stack_meta_learner_train_percentage: field('stackMetaLearnerTrainPercentage', 'float'),
        stack_meta_learner_type: field('stackMetaLearnerType', snake(ENUMS.StackMetaLearnerType)),
      },
    }),
    training_mode: notInApi('TrainingSettings'),
    allowed_training_algorithms: field('allowedTrainingAlgorithms', { ...snake(models), list: true }),
    blocked_training_algorithms: field('blockedTrainingAlgorithms', { ...snake(models), list: true }),
  };
}

/** AutoMLTableVerticalSchema (table_vertical.py) with its limits and featurization. */
const TABLE_VERTICAL: Table = {
  ...VERTICAL,
  limits: field('limitSettings', {
    object: {
      enable_early_termination: field('enableEarlyTermination', 'bool'),
      exit_score: field('exitScore', 'float'),
      max_concurrent_trials: field('maxConcurrentTrials', 'int'),
      max_cores_per_trial: field('maxCoresPerTrial', 'int'),
      max_nodes: notInApi('TableVerticalLimitSettings'),
      max_trials: field('maxTrials', 'int'),
      timeout_minutes: field('timeout', 'minutes'),
      trial_timeout_minutes: field('trialTimeout', 'minutes'),
    },
  }),
  featurization: field('featurizationSettings', {
    object: {
      dataset_language: field('datasetLanguage', 'string'),
      mode: field('mode', lower(['auto', 'off', 'custom'])),
      blocked_transformers: field('blockedTransformers', { ...snake(ENUMS.BlockedTransformers), list: true }),
      column_name_and_types: field('columnNameAndTypes', 'stringMap'),
      transformer_params: field('transformerParams', 'transformerParams'),
      enable_dnn_featurization: field('enableDnnFeaturization', 'bool'),
    },
  }),
  validation_data: field('validationData', 'data'),
  validation_data_size: field('validationDataSize', 'float'),
  cv_split_column_names: field('cvSplitColumnNames', 'stringList'),
  n_cross_validations: field('nCrossValidations', 'autoOrInt'),
  weight_column_name: field('weightColumnName', 'string'),
  test_data: field('testData', 'data'),
  test_data_size: field('testDataSize', 'float'),
};

/** ForecastingSettingsSchema (forecasting_settings.py). */
const FORECASTING_SETTINGS: Table = {
  country_or_region_for_holidays: field('countryOrRegionForHolidays', 'string'),
  cv_step_size: field('cvStepSize', 'int'),
  forecast_horizon: field('forecastHorizon', 'autoOrInt'),
  target_lags: field('targetLags', 'targetLags'),
  target_rolling_window_size: field('targetRollingWindowSize', 'autoOrInt'),
  time_column_name: field('timeColumnName', 'string'),
  time_series_id_column_names: field('timeSeriesIdColumnNames', 'stringOrList'),
  frequency: field('frequency', 'string'),
  feature_lags: field('featureLags', lower(ENUMS.FeatureLags)),
  seasonality: field('seasonality', 'autoOrInt'),
  short_series_handling_config: field('shortSeriesHandlingConfig', lower(ENUMS.ShortSeriesHandlingConfiguration)),
  use_stl: field('useStl', lower(ENUMS.UseStl)),
  target_aggregate_function: field('targetAggregateFunction', lower(ENUMS.TargetAggregationFunction)),
  features_unknown_at_forecast_time: notInApi('ForecastingSettings'),
};

/** ImageModelSettingsSchema (image_model_settings.py): `training_parameters` of the image tasks. */
const IMAGE_MODEL_SETTINGS: Table = {
  ams_gradient: field('amsGradient', 'bool'),
  advanced_settings: field('advancedSettings', 'string'),
  beta1: field('beta1', 'float'),
  beta2: field('beta2', 'float'),
  checkpoint_frequency: field('checkpointFrequency', 'int'),
  checkpoint_run_id: field('checkpointRunId', 'string'),
  distributed: field('distributed', 'bool'),
  early_stopping: field('earlyStopping', 'bool'),
  early_stopping_delay: field('earlyStoppingDelay', 'int'),
  early_stopping_patience: field('earlyStoppingPatience', 'int'),
  evaluation_frequency: field('evaluationFrequency', 'int'),
  enable_onnx_normalization: field('enableOnnxNormalization', 'bool'),
  gradient_accumulation_step: field('gradientAccumulationStep', 'int'),
  layers_to_freeze: field('layersToFreeze', 'int'),
  learning_rate: field('learningRate', 'float'),
  learning_rate_scheduler: field('learningRateScheduler', snake(ENUMS.LearningRateScheduler)),
  model_name: field('modelName', 'string'),
  momentum: field('momentum', 'float'),
  nesterov: field('nesterov', 'bool'),
  number_of_epochs: field('numberOfEpochs', 'int'),
  number_of_workers: field('numberOfWorkers', 'int'),
  optimizer: field('optimizer', snake(ENUMS.StochasticOptimizer)),
  random_seed: field('randomSeed', 'int'),
  step_lr_gamma: field('stepLRGamma', 'float'),
  step_lr_step_size: field('stepLRStepSize', 'int'),
  training_batch_size: field('trainingBatchSize', 'int'),
  validation_batch_size: field('validationBatchSize', 'int'),
  warmup_cosine_lr_cycles: field('warmupCosineLRCycles', 'float'),
  warmup_cosine_lr_warmup_epochs: field('warmupCosineLRWarmupEpochs', 'int'),
  weight_decay: field('weightDecay', 'float'),
};

const IMAGE_CLASSIFICATION_SETTINGS: Table = {
  ...IMAGE_MODEL_SETTINGS,
  training_crop_size: field('trainingCropSize', 'int'),
  validation_crop_size: field('validationCropSize', 'int'),
  validation_resize_size: field('validationResizeSize', 'int'),
  weighted_loss: field('weightedLoss', 'int'),
};

const IMAGE_DETECTION_SETTINGS: Table = {
  ...IMAGE_MODEL_SETTINGS,
  box_detections_per_image: field('boxDetectionsPerImage', 'int'),
  box_score_threshold: field('boxScoreThreshold', 'float'),
  image_size: field('imageSize', 'int'),
  max_size: field('maxSize', 'int'),
  min_size: field('minSize', 'int'),
  model_size: field('modelSize', snake(ENUMS.ModelSize)),
  multi_scale: field('multiScale', 'bool'),
  nms_iou_threshold: field('nmsIouThreshold', 'float'),
  tile_grid_size: field('tileGridSize', 'string'),
  tile_overlap_ratio: field('tileOverlapRatio', 'float'),
  tile_predictions_nms_threshold: field('tilePredictionsNmsThreshold', 'float'),
  validation_iou_threshold: field('validationIouThreshold', 'float'),
  validation_metric_type: field('validationMetricType', snake(ENUMS.ValidationMetricType)),
  log_training_metrics: notInApi('ImageModelSettingsObjectDetection'),
  log_validation_loss: notInApi('ImageModelSettingsObjectDetection'),
};

/** The search space of a table of settings: the same keys (image_model_distribution_settings.py), minus the fixed-only ones. */
function searchSpaceOf(settings: Table, fixedOnly: string[]): Table {
  return Object.fromEntries(Object.entries(settings).filter(([key]) => !fixedOnly.includes(key)));
}
// Keys of ImageModelSettingsSchema that ImageModelDistributionSettingsSchema lacks, and its own `augmentations`.
const IMAGE_FIXED_ONLY = ['advanced_settings', 'beta1', 'beta2', 'checkpoint_frequency', 'checkpoint_run_id'];
const AUGMENTATIONS: Table = { augmentations: field('augmentations', 'string') };

/** ImageVerticalSchema (image_vertical.py). */
function imageVertical(settings: Table, metrics: readonly string[]): Table {
  return {
    ...VERTICAL,
    primary_metric: field('primaryMetric', snake(metrics)),
    limits: field('limitSettings', {
      object: {
        max_concurrent_trials: field('maxConcurrentTrials', 'int'),
        max_trials: field('maxTrials', 'int'),
        timeout_minutes: field('timeout', 'minutes'),
      },
    }),
    sweep: field('sweepSettings', {
      object: {
        sampling_algorithm: field('samplingAlgorithm', lower(['Bayesian', 'Grid', 'Random'])),
        early_termination: field('earlyTermination', 'earlyTermination'),
      },
    }),
    test_data: notInApi('ImageVertical'),
    test_data_size: notInApi('ImageVertical'),
    validation_data: field('validationData', 'data'),
    validation_data_size: field('validationDataSize', 'float'),
    training_parameters: field('modelSettings', { object: settings }),
    search_space: field('searchSpace', {
      searchSpace: {
        ...searchSpaceOf(settings, [...IMAGE_FIXED_ONLY, 'log_training_metrics', 'log_validation_loss']),
        ...AUGMENTATIONS,
      },
    }),
  };
}

/** NlpVerticalSchema (nlp_vertical.py): sweeps and fixed parameters are preview-only for NLP. */
function nlpVertical(metric: Field): Table {
  return {
    ...VERTICAL,
    primary_metric: metric,
    limits: field('limitSettings', {
      object: {
        max_concurrent_trials: field('maxConcurrentTrials', 'int'),
        max_trials: field('maxTrials', 'int'),
        max_nodes: notInApi('NlpVerticalLimitSettings'),
        timeout_minutes: field('timeout', 'minutes'),
        trial_timeout_minutes: notInApi('NlpVerticalLimitSettings'),
      },
    }),
    sweep: notInApi('NlpVertical'),
    training_parameters: notInApi('NlpVertical'),
    search_space: notInApi('NlpVertical'),
    featurization: field('featurizationSettings', { object: { dataset_language: field('datasetLanguage', 'string') } }),
    validation_data: field('validationData', 'data'),
  };
}

/**
 * A task as the REST API names it (taskType), its fields, and the primary metric azure-ai-ml's
 * schema loads when the file has none (its `load_default`); undefined when the spec makes the
 * metric read-only (azure-ai-ml's serializer then leaves it out).
 */
export interface TaskSchema {
  taskType: string;
  fields: Table;
  defaultMetric: string | undefined;
  /** Keys azure-ai-ml requires (`required=True`). */
  required: string[];
}

// A read-only primary metric (TextClassificationMultilabel, TextNer: `readOnly: true` in the spec)
// is still read and checked, as azure-ai-ml does, but not sent.
const readOnlyMetric = (metrics: readonly string[]): Field => ({ kind: snake(metrics) });

export const TASKS: Record<string, TaskSchema> = {
  classification: {
    taskType: 'Classification',
    fields: {
      ...TABLE_VERTICAL,
      primary_metric: field('primaryMetric', snake(ENUMS.ClassificationPrimaryMetrics)),
      positive_label: field('positiveLabel', 'string'),
      training: field('trainingSettings', { object: trainingTable(ENUMS.ClassificationModels) }),
    },
    defaultMetric: 'AUCWeighted',
    required: ['training_data', 'target_column_name'],
  },
  regression: {
    taskType: 'Regression',
    fields: {
      ...TABLE_VERTICAL,
      primary_metric: field('primaryMetric', snake(ENUMS.RegressionPrimaryMetrics)),
      training: field('trainingSettings', { object: trainingTable(ENUMS.RegressionModels) }),
    },
    defaultMetric: 'NormalizedRootMeanSquaredError',
    required: ['training_data', 'target_column_name'],
  },
  forecasting: {
    taskType: 'Forecasting',
    fields: {
      ...TABLE_VERTICAL,
      primary_metric: field('primaryMetric', snake(ENUMS.ForecastingPrimaryMetrics)),
      training: field('trainingSettings', { object: trainingTable(ENUMS.ForecastingModels) }),
      forecasting: field('forecastingSettings', { object: FORECASTING_SETTINGS }),
    },
    defaultMetric: 'NormalizedRootMeanSquaredError',
    required: ['training_data', 'target_column_name'],
  },
  image_classification: {
    taskType: 'ImageClassification',
    fields: imageVertical(IMAGE_CLASSIFICATION_SETTINGS, ENUMS.ClassificationPrimaryMetrics),
    defaultMetric: 'Accuracy',
    required: ['training_data', 'target_column_name'],
  },
  image_classification_multilabel: {
    taskType: 'ImageClassificationMultilabel',
    fields: imageVertical(IMAGE_CLASSIFICATION_SETTINGS, ENUMS.ClassificationMultilabelPrimaryMetrics),
    defaultMetric: 'IOU',
    required: ['training_data', 'target_column_name'],
  },
  image_object_detection: {
    taskType: 'ImageObjectDetection',
    fields: imageVertical(IMAGE_DETECTION_SETTINGS, ENUMS.ObjectDetectionPrimaryMetrics),
    defaultMetric: 'MeanAveragePrecision',
    required: ['training_data', 'target_column_name'],
  },
  image_instance_segmentation: {
    taskType: 'ImageInstanceSegmentation',
    fields: imageVertical(IMAGE_DETECTION_SETTINGS, ENUMS.InstanceSegmentationPrimaryMetrics),
    defaultMetric: 'MeanAveragePrecision',
    required: ['training_data', 'target_column_name'],
  },
  text_classification: {
    taskType: 'TextClassification',
    fields: nlpVertical(field('primaryMetric', snake(ENUMS.ClassificationPrimaryMetrics))),
    defaultMetric: 'Accuracy',
    required: ['training_data', 'target_column_name'],
  },
  text_classification_multilabel: {
    taskType: 'TextClassificationMultilabel',
    fields: nlpVertical(readOnlyMetric(ENUMS.ClassificationMultilabelPrimaryMetrics)),
    defaultMetric: undefined,
    required: ['training_data', 'target_column_name'],
  },
  text_ner: {
    taskType: 'TextNER',
    fields: nlpVertical(readOnlyMetric(ENUMS.ClassificationPrimaryMetrics)),
    defaultMetric: undefined,
    required: ['training_data'],
  },
};

/** The spec definition each task's taskDetails is checked against (its x-ms-discriminator-value is taskType). */
export const TASK_DEFINITIONS: Record<string, string> = {
  classification: 'Classification',
  regression: 'Regression',
  forecasting: 'Forecasting',
  image_classification: 'ImageClassification',
  image_classification_multilabel: 'ImageClassificationMultilabel',
  image_object_detection: 'ImageObjectDetection',
  image_instance_segmentation: 'ImageInstanceSegmentation',
  text_classification: 'TextClassification',
  text_classification_multilabel: 'TextClassificationMultilabel',
  text_ner: 'TextNer',
};

export const AUTOML_TASKS = Object.keys(TASKS);

/** JobResourceConfigurationSchema (job_resource_configuration.py): an AutoML job's `resources`. */
export const RESOURCES: Table = {
  instance_count: field('instanceCount', 'int'),
  instance_type: field('instanceType', 'string'),
  properties: field('properties', 'dict'),
  shm_size: field('shmSize', 'string'),
  docker_args: field('dockerArgs', 'string'),
  locations: notInApi('JobResourceConfiguration'),
  max_instance_count: notInApi('JobResourceConfiguration'),
};

/** QueueSettingsSchema (queue_settings.py). */
export const QUEUE_SETTINGS: Table = {
  job_tier: field('jobTier', snake(ENUMS.JobTier)),
  priority: notInApi('QueueSettings'),
};

export const TRANSFORMER_PARAMETER_KEYS = TRANSFORMER_KEYS;
