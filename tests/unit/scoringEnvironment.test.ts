// How a deployment's environment becomes pip requirements without conda (shared/python): conda
// MatchSpecs to pip specifiers through the committed name table, the Python pin, curated lists, and
// an MLflow model's own conda.yaml.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  condaRequirements,
  condaSpecToPip,
  curatedRequirements,
  mlflowRequirements,
  namesInferenceServer,
  pythonMismatch,
} from '../../shared/python/environment.js';

describe('condaSpecToPip', () => {
  it.each([
    ['scikit-learn=1.5.2', 'scikit-learn==1.5.2.*'],
    ['numpy=1.26', 'numpy==1.26.*'],
    ['numpy==1.26.4', 'numpy==1.26.4'],
    ['numpy==1.26.4=py311h64a7726_0', 'numpy==1.26.4'],
    ['numpy=1.26.4=py311h64a7726_0', 'numpy==1.26.4.*'],
    ['numpy 1.26.4 py311h64a7726_0', 'numpy==1.26.4'],
    ['conda-forge::scipy>=1.10', 'scipy>=1.10'],
    ['pandas>=1.5,<3', 'pandas>=1.5,<3'],
    ['py-xgboost=2.0', 'xgboost==2.0.*'],
    ['pytorch', 'torch'],
    ['some-conda-only-name=1.0', 'some-conda-only-name==1.0.*'],
    ['scipy=1.*', 'scipy==1.*'],
  ])('%s → %s', (spec, requirement) => {
    expect(condaSpecToPip(spec)?.requirement).toBe(requirement);
  });
});

describe('condaRequirements', () => {
  it("reads model-1's shape: conda packages mapped, pip lines kept as written, python pinned, pip itself skipped", () => {
    const parsed = condaRequirements(
      [
        'name: model-env',
        'channels: [conda-forge]',
        'dependencies:',
        '  - python=3.12',
        '  - numpy=2.3.1',
        '  - pip=25.1.1',
        '  - scikit-learn=1.7.0',
        '  - pip:',
        '    - azureml-inference-server-http==1.4.1',
        '    - inference-schema[numpy-support]',
        '    - joblib',
      ].join('\n'),
      'conda.yaml',
    );
    expect(parsed).toEqual({
      requirements: [
        'numpy==2.3.1.*',
        'scikit-learn==1.7.0.*',
        'azureml-inference-server-http==1.4.1',
        'inference-schema[numpy-support]',
        'joblib',
      ],
      python: '3.12',
      notes: ['conda packages without a pip equivalent, left to the machine: pip=25.1.1'],
    });
    expect(namesInferenceServer(parsed.requirements)).toBe(true);
  });

  it.each([
    ['not YAML', 'dependencies: [', /conda.yaml is not valid YAML/],
    ['dependencies not a list', 'dependencies: numpy', /'dependencies' must be a list/],
    ['an entry of another kind', 'dependencies:\n  - {conda: [x]}', /neither a conda package nor a pip list/],
  ])('refuses %s, naming the file', (_name, text, error) => {
    expect(() => condaRequirements(text, 'conda.yaml')).toThrow(error);
  });
});

describe('pythonMismatch', () => {
  const have = { python: '/usr/bin/python3', version: '3.11.7' };
  it.each([
    [undefined, false],
    ['3.11', false],
    ['3.11.7', false],
    ['3', false],
    ['3.12', true],
    ['3.8', true],
    ['3.11.5', true],
  ])('python=%s on 3.11.7: warning %s', (wanted, warns) => {
    expect(pythonMismatch(wanted, have) !== undefined).toBe(warns);
  });
});

describe('curated and MLflow environments', () => {
  it('knows the curated sklearn-1.5 by its workspace and registry names', () => {
    expect(curatedRequirements('AzureML-sklearn-1.5')?.requirements).toContain('scikit-learn~=1.5.0');
    expect(curatedRequirements('sklearn-1.5')?.python).toBe('3.10');
    expect(curatedRequirements('AzureML-unknown-1.0')).toBeUndefined();
  });

  it("reads an MLflow model's conda.yaml: mlflow as mlflow-skinny, plus the inference server", () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'mlflow-model-'));
    writeFileSync(
      path.join(folder, 'conda.yaml'),
      'dependencies:\n- python=3.11.7\n- pip<=23.2.1\n- pip:\n  - mlflow==3.18.0\n  - scikit-learn==1.5.2\n',
    );
    expect(mlflowRequirements(folder)).toMatchObject({
      requirements: ['mlflow-skinny==3.18.0', 'scikit-learn==1.5.2', 'azureml-inference-server-http'],
      // The pin's major.minor: a patch release of the same Python is not worth a warning.
      python: '3.11',
    });
  });
});
