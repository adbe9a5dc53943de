// Job files of every kind action-pipeline reads beyond command jobs: a sweep job, a Spark job, a
// pipeline with spark, parallel and sweep steps, AutoML image and text jobs on local MLTable folders,
// and an AutoML step in a pipeline. Written into a workspace by the e2e suite (tests/e2e/
// pipelineSteps.test.ts) and the in-process ring (tests/ring/jobKinds.test.ts).

export const JOB_KIND_FILES: Record<string, string> = {
  'src/main.py': 'print("hello")\n',
  'sweep.yml': `$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
trial:
  command: python main.py --lr \${{search_space.lr}}
  code: src
  environment: azureml:AzureML-sklearn-1.5@latest
sampling_algorithm: random
search_space:
  lr: {type: loguniform, min_value: -6, max_value: -1}
objective: {goal: maximize, primary_metric: accuracy}
early_termination: {type: median_stopping, evaluation_interval: 2}
limits: {max_total_trials: 4, max_concurrent_trials: 2, timeout: 3600}
`,
  'spark.yml': `type: spark
code: ./src
entry: {file: main.py}
conf: {spark.driver.cores: 1, spark.driver.memory: 2g, spark.executor.cores: 2, spark.executor.memory: 2g, spark.executor.instances: 2}
args: --x 1
resources: {instance_type: standard_e4s_v3, runtime_version: "3.4"}
`,
  'trial.yml': `type: command
inputs: {lr: {type: number, default: 0.1}}
outputs: {model: {type: uri_folder}}
code: ./src
environment: azureml:AzureML-sklearn-1.5@latest
command: python main.py --lr \${{inputs.lr}} --model \${{outputs.model}}
`,
  'pipeline.yml': `type: pipeline
display_name: steps of every kind
inputs:
  raw: {type: uri_file, path: azureml://datastores/workspaceblobstore/paths/raw.csv, mode: direct}
jobs:
  wrangle:
    type: spark
    code: ./src
    entry: {file: main.py}
    inputs:
      data: \${{parent.inputs.raw}}
    outputs:
      out: {type: uri_folder, mode: direct}
    args: --data \${{inputs.data}} --out \${{outputs.out}}
    resources: {instance_type: standard_e4s_v3, runtime_version: "3.4"}
  score:
    type: parallel
    inputs:
      data:
        path: \${{parent.jobs.wrangle.outputs.out}}
        type: uri_folder
        mode: ro_mount
    outputs: {scores: {type: uri_file}}
    input_data: \${{inputs.data}}
    mini_batch_size: "1"
    resources: {instance_count: 1}
    task:
      type: run_function
      code: ./src
      entry_script: main.py
      environment: azureml:AzureML-sklearn-1.5@latest
      append_row_to: \${{outputs.scores}}
  tune:
    type: sweep
    trial: ./trial.yml
    sampling_algorithm: grid
    search_space: {lr: {type: choice, values: [0.1, 0.01]}}
    objective: {goal: minimize, primary_metric: loss}
    limits: {max_total_trials: 2}
`,
  'data/train/MLTable':
    'paths:\n  - file: ./rows.jsonl\ntransformations:\n  - read_json_lines:\n      encoding: utf8\n',
  'data/train/rows.jsonl': '{"image_url": "azureml://datastores/workspaceblobstore/paths/img/1.jpg", "label": "can"}\n',
  'automl-image.yml': `type: automl
task: image_classification
experiment_name: ring
training_data: {type: mltable, path: ./data/train}
validation_data: {type: mltable, path: ./data/train}
target_column_name: label
primary_metric: accuracy
limits: {timeout_minutes: 60, max_trials: 2, max_concurrent_trials: 1}
training_parameters: {early_stopping: true, number_of_epochs: 5}
sweep:
  sampling_algorithm: random
  early_termination: {type: bandit, evaluation_interval: 2, slack_factor: 0.2}
search_space:
  - model_name: {type: choice, values: [vitb16r224]}
    learning_rate: {type: uniform, min_value: 0.001, max_value: 0.01}
`,
  'automl-text.yml': `type: automl
task: text_classification
training_data: {type: mltable, path: ./data/train}
validation_data: {type: mltable, path: ./data/train}
target_column_name: label
primary_metric: accuracy
limits: {timeout_minutes: 60}
featurization: {dataset_language: eng}
`,
  'automl-pipeline.yml': `type: pipeline
inputs:
  train: {type: mltable, path: ./data/train}
jobs:
  classify:
    type: automl
    task: classification
    training_data: \${{parent.inputs.train}}
    target_column_name: label
    primary_metric: accuracy
    limits: {max_trials: 2, timeout_minutes: 30}
    featurization: {mode: auto}
`,
};
