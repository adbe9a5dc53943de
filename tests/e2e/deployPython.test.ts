// action-deploy end to end with models Azure serves in Python: a scikit-learn model with its own
// score.py and conda file (the shape of azureml-examples' cli/endpoints/online/model-1) to `aci` and
// to `local`, gated by a smoke test whose expectation is the model's predictions computed in
// process; a score.py whose init() raises (provisioning fails, traceback printed, rolled back); an
// MLflow model with no scoring script; and target local on a runner without Python.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { start } from '../emulator/helpers.js';
import { runAction, type ActionRun } from '../harness/runAction.js';
import { PYTHON, describeWithPython } from '../support/python.js';
import { makeSklearnFixtures, type SklearnFixtures } from '../support/sklearn.js';

let emu: RunningEmulator;
let fixtures: SklearnFixtures;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'deploy-python-ws-'));
/** What actions/setup-python sets: the runner's Python is the project's venv (its packages are the lock's). */
const setupPython = (): Record<string, string> => ({ pythonLocation: path.dirname(path.dirname(PYTHON ?? '')) });

beforeAll(async () => {
  if (!PYTHON) return;
  const made = mkdtempSync(path.join(os.tmpdir(), 'deploy-python-fixtures-'));
  fixtures = makeSklearnFixtures(PYTHON, made);
  cpSync(made, workspace, { recursive: true });
  rmSync(made, { recursive: true, force: true });
  writeFileSync(path.join(workspace, 'request.json'), JSON.stringify({ data: fixtures.rows }));
  writeFileSync(
    path.join(workspace, 'mlflow-request.json'),
    JSON.stringify({
      input_data: { columns: fixtures.columns, index: fixtures.rows.map((_, i) => i), data: fixtures.rows },
    }),
  );
  emu = await start({ azurite: true, scoring: undefined });
}, 180_000);
afterAll(async () => {
  await emu?.stop();
  rmSync(workspace, { recursive: true, force: true });
});

function run(action: string, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({ action, inputs, env: { ...emu.env, ...env }, workspace, timeoutMs: 300_000 });
}
const errors = (r: ActionRun) => r.annotations.filter((a) => a.level === 'error').map((a) => a.message);
/** The gate: every prediction equals what the model predicted in process. */
const gate = (payload: string, predictions: () => number[]) => ({
  'smoke-test-payload': payload,
  'smoke-test-requests': '5',
  'smoke-test-expect-json': `$ == ${JSON.stringify(predictions())}`,
});

describeWithPython('action-deploy serves scikit-learn and MLflow models as Azure does', () => {
  it("deploys model-1 (score.py + conda file) to aci: the smoke test gets the model's own predictions", async () => {
    const model = await run('action-register', { name: 'sklearn-regression', path: 'model-1/model' });
    expect(errors(model)).toEqual([]);
    const env = await run('action-register', {
      kind: 'environment',
      name: 'model-env',
      image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest',
      'conda-file': 'model-1/environment/conda.yaml',
    });
    expect(errors(env)).toEqual([]);
    const deployed = await run('action-deploy', {
      endpoint: 'sklearn-aci',
      model: model.outputs['asset-id'] ?? '',
      'code-path': 'model-1/onlinescoring',
      'scoring-script': 'score.py',
      environment: `azureml:model-env:${env.outputs.version ?? ''}`,
      ...gate('request.json', () => fixtures.predictions),
    });
    expect(errors(deployed)).toEqual([]);
    expect(deployed.outputs).toMatchObject({ 'smoke-test': 'passed', 'rolled-back': 'false' });
  }, 300_000);

  it('a score.py whose init() raises fails provisioning: the traceback is printed and the deployment rolled back', async () => {
    const failing = await run('action-deploy', {
      endpoint: 'sklearn-aci',
      model: 'azureml:sklearn-regression:1',
      deployment: 'broken-init',
      'code-path': 'failing',
      'scoring-script': 'score.py',
      environment: 'azureml:model-env:1',
    });
    expect(failing.exitCode).toBe(1);
    expect(failing.outputs['rolled-back']).toBe('true');
    expect(failing.log).toContain('Traceback (most recent call last)');
    expect(failing.log).toContain('RuntimeError: model file missing: cannot load');
    expect(errors(failing).join('\n')).toContain('User container has crashed or terminated');
    const again = await run('action-deploy', { endpoint: 'sklearn-aci', model: 'azureml:sklearn-regression:1' });
    expect(again.outputs.traffic).toBe('{"sklearn-regression-v1":100}');
  }, 300_000);

  it('deploys an MLflow model with no scoring script to aci: it predicts what the model predicts in process', async () => {
    const model = await run('action-register', {
      name: 'diabetes-mlflow',
      path: 'mlflow/model',
      'model-type': 'mlflow_model',
    });
    expect(errors(model)).toEqual([]);
    const deployed = await run('action-deploy', {
      endpoint: 'mlflow-aci',
      model: model.outputs['asset-id'] ?? '',
      ...gate('mlflow-request.json', () => fixtures.mlflowPredictions),
    });
    expect(errors(deployed)).toEqual([]);
    expect(deployed.outputs).toMatchObject({ 'smoke-test': 'passed' });
  }, 300_000);

  it('serves model-1 with target local on the runner, without Docker: the same predictions', async () => {
    const local = await run(
      'action-deploy',
      {
        endpoint: 'sklearn-pr',
        target: 'local',
        model: 'model-1/model',
        'code-path': 'model-1/onlinescoring',
        'scoring-script': 'score.py',
        'conda-file': 'model-1/environment/conda.yaml',
        'local-keep-alive': 'false',
        ...gate('request.json', () => fixtures.predictions),
      },
      setupPython(),
    );
    expect(errors(local)).toEqual([]);
    expect(local.outputs).toMatchObject({ target: 'local', 'smoke-test': 'passed' });
    expect(local.log).toContain('scoring script score.py in azmlinfsrv');
  }, 300_000);

  it('serves an MLflow model folder with target local (no scoring script)', async () => {
    const local = await run(
      'action-deploy',
      {
        endpoint: 'mlflow-pr',
        target: 'local',
        model: 'mlflow/model',
        'local-keep-alive': 'false',
        ...gate('mlflow-request.json', () => fixtures.mlflowPredictions),
      },
      setupPython(),
    );
    expect(errors(local)).toEqual([]);
    expect(local.outputs).toMatchObject({ 'smoke-test': 'passed' });
  }, 300_000);

  it('target local: init() raising fails the step with the traceback', async () => {
    const local = await run(
      'action-deploy',
      {
        endpoint: 'sklearn-pr',
        target: 'local',
        model: 'model-1/model',
        'code-path': 'failing',
        'scoring-script': 'score.py',
        'conda-file': 'model-1/environment/conda.yaml',
      },
      setupPython(),
    );
    expect(local.exitCode).toBe(1);
    expect(errors(local).join('\n')).toContain('RuntimeError: model file missing: cannot load');
  }, 300_000);

  it('target local on a runner without Python says to add actions/setup-python', async () => {
    const empty = path.join(workspace, 'no-python-bin');
    mkdirSync(empty, { recursive: true });
    const local = await run(
      'action-deploy',
      {
        endpoint: 'mlflow-pr',
        target: 'local',
        model: 'mlflow/model',
      },
      { PATH: empty },
    );
    expect(local.exitCode).toBe(1);
    expect(errors(local).join('\n')).toMatch(/none was found on the runner .*actions\/setup-python/);
  }, 120_000);
});
