// The in-process ring for scoring in Python (shared/python, action-deploy's Python paths): a release
// of model-1 (score.py + a registered conda environment) through action-deploy's work function to
// the emulator, which serves it with azmlinfsrv in a venv built by shared/python; target local
// refusing a conda file pip cannot build, in the step, before any server starts; and the scoring
// front (startScoringServer with `forward`) in front of an inference server, as target local runs it.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploy } from '../../action-deploy/src/main.js';
import { register } from '../../action-register/src/main.js';
import type { RunningEmulator } from '../../emulator/index.js';
import { ensureScoringVenv } from '../../shared/python/environment.js';
import { forwardToServer, startInferenceServer } from '../../shared/python/inferenceServer.js';
import { startScoringServer } from '../../shared/scoring/index.js';
import { start } from '../emulator/helpers.js';
import { runInProcess } from '../harness/inProcess.js';
import { PYTHON, describeWithPython } from '../support/python.js';
import { makeSklearnFixtures, type SklearnFixtures } from '../support/sklearn.js';

let emu: RunningEmulator;
let fixtures: SklearnFixtures;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'ring-scoring-'));

beforeAll(async () => {
  if (!PYTHON) return;
  const made = mkdtempSync(path.join(os.tmpdir(), 'ring-scoring-fixtures-'));
  fixtures = makeSklearnFixtures(PYTHON, made);
  cpSync(made, workspace, { recursive: true });
  rmSync(made, { recursive: true, force: true });
  writeFileSync(path.join(workspace, 'request.json'), JSON.stringify({ data: fixtures.rows }));
  writeFileSync(
    path.join(workspace, 'broken-conda.yml'),
    'dependencies:\n  - python=3.11\n  - pip:\n    - azureml-actions-no-such-package==0.0.1\n',
  );
  emu = await start({ azurite: true });
}, 180_000);
afterAll(async () => {
  await emu?.stop();
  rmSync(workspace, { recursive: true, force: true });
});

describeWithPython('scoring scripts in Python, in process', () => {
  it("releases model-1 with its score.py and registered conda environment; the gate sees the model's predictions", async () => {
    const model = await runInProcess(register, {
      action: 'action-register',
      inputs: { name: 'sklearn-regression', path: 'model-1/model' },
      env: emu.env,
      workspace,
    });
    expect(model.failure).toBe('');
    const env = await runInProcess(register, {
      action: 'action-register',
      inputs: {
        kind: 'environment',
        name: 'model-env',
        image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest',
        'conda-file': 'model-1/environment/conda.yaml',
      },
      env: emu.env,
      workspace,
    });
    expect(env.failure).toBe('');
    const released = await runInProcess(deploy, {
      action: 'action-deploy',
      inputs: {
        endpoint: 'sklearn-ring',
        model: 'sklearn-regression:1',
        'code-path': 'model-1/onlinescoring',
        'scoring-script': 'score.py',
        environment: 'azureml:model-env:1',
        'smoke-test-payload': 'request.json',
        'smoke-test-requests': '3',
        'smoke-test-expect-json': `$ == ${JSON.stringify(fixtures.predictions)}`,
      },
      env: emu.env,
      workspace,
    });
    expect(released.failure).toBe('');
    expect(released.outputs['smoke-test']).toBe('passed');
  }, 180_000);

  it('target local: a conda file pip cannot build fails the step naming the package, before any server starts', async () => {
    const local = await runInProcess(deploy, {
      action: 'action-deploy',
      inputs: {
        endpoint: 'sklearn-pr',
        target: 'local',
        model: 'model-1/model',
        'code-path': 'model-1/onlinescoring',
        'scoring-script': 'score.py',
        'conda-file': 'broken-conda.yml',
      },
      env: { pythonLocation: path.dirname(path.dirname(PYTHON ?? '')) },
      workspace,
    });
    expect(local.failure).toMatch(
      /^The scoring environment could not be built on the runner: .*azureml-actions-no-such-package/,
    );
    expect(local.isBug).toBe(false);
  }, 120_000);

  it("target local's front: the key is checked, then the scoring script's server answers", async () => {
    const venv = await ensureScoringVenv({
      base: { python: PYTHON ?? '', version: '3' },
      requirements: ['azureml-inference-server-http', 'scikit-learn'],
      cacheRoot: path.join(workspace, 'envs'),
      log: () => undefined,
    });
    const again = await ensureScoringVenv({
      base: { python: PYTHON ?? '', version: '3' },
      requirements: ['azureml-inference-server-http', 'scikit-learn'],
      cacheRoot: path.join(workspace, 'envs'),
      log: () => undefined,
    });
    expect([venv.built, again.built]).toEqual([true, false]);
    const output: string[] = [];
    const inference = await startInferenceServer({
      python: venv.python,
      entryScript: path.join(workspace, 'model-1', 'onlinescoring', 'score.py'),
      appRoot: path.join(workspace, 'model-1', 'onlinescoring'),
      modelDir: path.join(workspace, 'model-1'),
      environment: {},
      onOutput: (line) => output.push(line),
    });
    const front = await startScoringServer({
      forward: (request) => forwardToServer(inference.url, request),
      keys: ['ring-key'],
    });
    try {
      const call = (key: string | undefined) =>
        fetch(front.scoringUri, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
          body: JSON.stringify({ data: fixtures.rows }),
        });
      expect((await call(undefined)).status).toBe(401);
      const answered = await call('ring-key');
      expect(answered.status).toBe(200);
      expect(await answered.json()).toEqual(fixtures.predictions);
    } finally {
      await front.close();
      await inference.stop();
    }
    expect(output.join('\n')).toContain('init has completed successfully');
  }, 120_000);
});
