// scikit-learn models made for a test by the project's Python (python/requirements.lock): the shape of
// azureml-examples' cli/endpoints/online/model-1 (a joblib pickle, score.py, conda file) and an MLflow
// model of the same regression, with the predictions the models give in process for the same rows.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** model-1's score.py, as Microsoft's sample has it (reads model/sklearn_regression_model.pkl). */
export const MODEL1_SCORE_PY = `import os
import logging
import json
import numpy
import joblib


def init():
    global model
    model_path = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model/sklearn_regression_model.pkl")
    model = joblib.load(model_path)
    logging.info("Init complete")


def run(raw_data):
    logging.info("model 1: request received")
    data = json.loads(raw_data)["data"]
    data = numpy.array(data)
    result = model.predict(data)
    logging.info("Request processed")
    return result.tolist()
`;

/** A scoring script whose init() raises, as a broken deployment's does. */
export const FAILING_SCORE_PY = `import os


def init():
    raise RuntimeError("model file missing: cannot load " + os.path.join(os.getenv("AZUREML_MODEL_DIR", ""), "nothing.pkl"))


def run(raw_data):
    return []
`;

/** model-1's conda file at the versions of python/requirements.lock (the machine's Python 3.11). */
export const MODEL1_CONDA = `name: model-env
channels:
  - conda-forge
dependencies:
  - python=3.11
  - numpy=1.26.4
  - pip
  - scikit-learn=1.5.2
  - scipy
  - pip:
    - azureml-inference-server-http==1.5.1
    - inference-schema[numpy-support]
    - joblib
`;

const TRAIN = `
import json, sys, joblib, numpy
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
import mlflow.sklearn
out = sys.argv[1]
X, y = load_diabetes(return_X_y=True, as_frame=True)
model = Ridge(alpha=0.5).fit(X.values, y.values)
joblib.dump(model, out + "/model-1/model/sklearn_regression_model.pkl")
frame_model = Ridge(alpha=0.5).fit(X, y)
mlflow.sklearn.save_model(frame_model, out + "/mlflow/model", serialization_format="cloudpickle", input_example=X.iloc[:2])
rows = X.iloc[:3]
json.dump({
  "columns": list(rows.columns),
  "rows": rows.values.tolist(),
  "predictions": model.predict(rows.values).tolist(),
  "mlflowPredictions": frame_model.predict(rows).tolist(),
}, open(out + "/expected.json", "w"))
`;

export interface SklearnFixtures {
  /** model-1/{model/sklearn_regression_model.pkl, onlinescoring/score.py, environment/conda.yaml}, failing/score.py */
  root: string;
  columns: string[];
  rows: number[][];
  /** What the Ridge model predicts for rows, in process. */
  predictions: number[];
  /** What the MLflow model (mlflow/model) predicts for the same rows as a DataFrame. */
  mlflowPredictions: number[];
}

/** Trains the models with `python` into root (a fresh folder) and writes the sample's files. */
export function makeSklearnFixtures(python: string, root: string): SklearnFixtures {
  for (const dir of ['model-1/model', 'model-1/onlinescoring', 'model-1/environment', 'failing', 'mlflow'])
    mkdirSync(path.join(root, dir), { recursive: true });
  writeFileSync(path.join(root, 'model-1/onlinescoring/score.py'), MODEL1_SCORE_PY);
  writeFileSync(path.join(root, 'model-1/environment/conda.yaml'), MODEL1_CONDA);
  writeFileSync(path.join(root, 'failing/score.py'), FAILING_SCORE_PY);
  execFileSync(python, ['-c', TRAIN, root], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MLFLOW_TRACKING_URI: '' },
  });
  const expected = JSON.parse(readFileSync(path.join(root, 'expected.json'), 'utf8')) as Omit<SklearnFixtures, 'root'>;
  return { root, ...expected };
}
