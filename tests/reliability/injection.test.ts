/**
 * @jest-environment ./tests/scoring/native-arrays-environment.js
 */
// Reliability, injection (issue 32): every place a built action prints text that does not come
// from its own code — a failed deployment's container logs, a job's log streamed by
// action-pipeline, step display names read from run history, release tags read from the endpoint,
// dry-run plan values — gets hostile text with `\r`, `##[` mid-line, commands after leading spaces,
// set-output / save-state / add-mask and a forged stop-commands. Counted the way the runner reads
// the log (tests/harness/runnerLog.ts): no command may come from that text. Entra tokens here live
// 2 minutes, so action-pipeline's run-history reads fetch (and `::add-mask::`) a new token after the
// hostile log is printed: had the forged stop-commands taken effect, those secrets would show and the
// harness's secrets scan fail the run (checked: with the sanitiser disabled, it does).

import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../../emulator/index.js';
import { mlClient, oidcCredential, start } from '../emulator/helpers.js';
import type { ActionRun } from '../harness/runAction.js';
import { runnerSplit } from '../harness/runnerLog.js';
import { SILERO } from '../support/silero.js';
import {
  act,
  admin,
  HOSTILE_LINES,
  INJECTION_MARK,
  injectionsOf,
  reliabilityCase,
  secretsScanCase,
  writeFigures,
} from './support.js';

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'reliability-injection-'));
const WS = '/subscriptions/*/resourceGroups/*/providers/Microsoft.MachineLearningServices/workspaces/*';

function run(label: string, action: string, inputs: Record<string, string>): Promise<ActionRun> {
  return act(`injection: ${label}`, { action, inputs, env: emu.env, workspace, timeoutMs: 240_000 });
}

async function withFault(rule: Record<string, unknown>, work: () => Promise<ActionRun>): Promise<ActionRun> {
  const response = await admin(emu, 'POST', '/faults', rule);
  try {
    return await work();
  } finally {
    await admin(emu, 'DELETE', `/faults/${(response.body as { id: string }).id}`);
  }
}

/** The hostile text reached the log (inert), and new secrets were masked after it: the case can fail. */
function printedThenMasked(r: ActionRun, inert: string): void {
  const lines = runnerSplit(r.stdout);
  const at = lines.findIndex((line) => line.includes(inert));
  expect(at).toBeGreaterThanOrEqual(0);
  expect(lines.slice(at + 1).some((line) => line.startsWith('::add-mask::'))).toBe(true);
}

beforeAll(async () => {
  emu = await start({ azurite: true, scoring: undefined, settings: { accessTokenLifetimeSeconds: 120 } });
  mkdirSync(path.join(workspace, 'models'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad.onnx'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad_v2.onnx'));
  const environment = 'azureml://registries/azureml/environments/sklearn-1.5/labels/latest';
  writeFileSync(
    path.join(workspace, 'pipeline.yml'),
    [
      'type: pipeline',
      'display_name: injpipe',
      'settings:',
      '  default_compute: azureml:inj-cpu',
      'inputs:',
      '  note: a',
      '  spaces: b',
      '  stop: c',
      'jobs:',
      '  prep:',
      '    type: command',
      // YAML escapes: a display name with \r, a command after leading spaces and `##[` mid-line.
      `    display_name: "prep\\r::set-output name=pwned::1\\n   ::warning::${INJECTION_MARK} ##[error]${INJECTION_MARK}"`,
      '    command: python prep.py',
      `    environment: ${environment}`,
      '',
    ].join('\n'),
  );
  const v1 = await run('model vad v1', 'action-register', { name: 'vad', path: 'models/silero_vad.onnx' });
  const v2 = await run('model vad v2', 'action-register', { name: 'vad', path: 'models/silero_vad_v2.onnx' });
  expect([v1.outputs.version, v2.outputs.version]).toEqual(['1', '2']);
  const cluster = await run('cluster', 'action-pipeline', { compute: 'inj-cpu', 'create-compute': 'true' });
  expect(cluster.exitCode).toBe(0);
}, 300_000);

afterAll(async () => {
  writeFigures('injection');
  await emu?.stop();
});

describe('text from outside printed by the built actions: no command as the runner reads it', () => {
  reliabilityCase(
    'injection',
    "action-deploy: a crash-looping deployment's container log (rollback prints it)",
    async () => {
      const base = await run('deploy v1', 'action-deploy', { endpoint: 'inj-dep', model: 'vad:1' });
      expect(base.exitCode).toBe(0);
      const r = await withFault(
        {
          method: 'PUT',
          path: `${WS}/onlineEndpoints/inj-dep/deployments/*`,
          crashLoop: { logs: ['Traceback (most recent call last):', ...HOSTILE_LINES, 'RuntimeError: boom'] },
        },
        () => run('deploy v2 (crash loop)', 'action-deploy', { endpoint: 'inj-dep', model: 'vad:2' }),
      );
      expect(r.exitCode).toBe(1);
      expect(r.outputs['rolled-back']).toBe('true');
      expect(r.log).toContain('RuntimeError: boom');
      // Printed, inert (ARM calls after it may or may not fetch a new token: the pipeline case always does).
      expect(r.stdout).toContain(`| \t::stop-commands::${INJECTION_MARK}`);
      expect(r.stdout).toContain(`## [error]${INJECTION_MARK} mid-line`);
      expect(injectionsOf(r)).toEqual([]);
    },
    { timeout: 300_000 },
  );

  reliabilityCase(
    'injection',
    "action-pipeline: a failing step's log streamed and tailed, and its display name",
    async () => {
      const r = await withFault(
        {
          method: 'PUT',
          path: `${WS}/jobs/*`,
          lroFailed: {
            code: 'UserError',
            message: ['ValueError: bad data', ...HOSTILE_LINES].join('\n'),
            step: 'prep',
          },
          count: 1,
        },
        () => run('pipeline with a hostile step', 'action-pipeline', { job: 'pipeline.yml', 'stream-logs': 'true' }),
      );
      expect({ status: r.outputs.status, log: r.outputs.status === 'Failed' ? '' : r.log }).toEqual({
        status: 'Failed',
        log: '',
      });
      expect(r.exitCode).toBe(1);
      expect(r.log).toContain('ValueError: bad data');
      // The step's display name stays on its line, its `\r` and `\n` shown as text.
      expect(r.log).toContain(`step prep\\r::set-output name=pwned::1\\n   ::warning::${INJECTION_MARK}`);
      printedThenMasked(r, `## [error]${INJECTION_MARK} mid-line`);
      expect(injectionsOf(r)).toEqual([]);
    },
    { timeout: 300_000 },
  );

  reliabilityCase(
    'injection',
    'action-deploy: release tags on the endpoint edited by someone with write access (model: previous)',
    async () => {
      const base = await run('deploy v1 for tags', 'action-deploy', { endpoint: 'inj-tags', model: 'vad:1' });
      expect(base.exitCode).toBe(0);
      const ml = mlClient(emu, await oidcCredential(emu));
      const endpoint = await ml.onlineEndpoints.get(emu.resourceGroup, emu.workspace, 'inj-tags');
      const hostile = [
        `vad-v1;vad:1\r::set-output name=pwned::1;abc;2026-11-01T00:00:00.000Z`,
        `vad-v1;vad:1 ##[error]${INJECTION_MARK};abc;2026-11-01T00:00:00.000Z`,
        `   ::warning::${INJECTION_MARK};vad:1;abc;2026-11-01T00:00:00.000Z`,
      ];
      const tags = { ...endpoint.tags };
      const current = tags['azureml-actions.release.0'] ?? '';
      hostile.forEach((value, index) => (tags[`azureml-actions.release.${index + 1}`] = value));
      await ml.onlineEndpoints.beginUpdateAndWait(
        emu.resourceGroup,
        emu.workspace,
        'inj-tags',
        { tags },
        { updateIntervalInMs: 50 },
      );
      expect(current).toMatch(/^vad-/);
      const r = await run('model: previous over hostile tags', 'action-deploy', {
        endpoint: 'inj-tags',
        model: 'previous',
      });
      // The hostile releases are not releases: there is none before the current one.
      expect(r.exitCode).toBe(1);
      expect(r.annotations.at(-1)?.message).toContain('has no release before the current one');
      expect(r.log).not.toContain(INJECTION_MARK);
      expect(injectionsOf(r)).toEqual([]);
    },
    { timeout: 300_000 },
  );

  reliabilityCase(
    'injection',
    'action-pipeline dry run: display-name and set values echoed by the plan',
    async () => {
      const r = await run('dry run with hostile values', 'action-pipeline', {
        job: 'pipeline.yml',
        'dry-run': 'true',
        'display-name': `nightly\r::set-output name=pwned::1 ##[error]${INJECTION_MARK}`,
        set: [
          `inputs.note=loss ##[error]${INJECTION_MARK} mid-line`,
          `inputs.spaces=   ::save-state name=pwned::1`,
          `inputs.stop=x ##[stop-commands]${INJECTION_MARK}`,
        ].join('\n'),
      });
      expect(r.log).toContain('Dry run');
      expect(r.log).toContain(`## [error]${INJECTION_MARK} mid-line`);
      expect(injectionsOf(r)).toEqual([]);
      expect(r.summary).not.toMatch(/\r/);
    },
    { timeout: 120_000 },
  );
});

describe('secrets', () => {
  secretsScanCase(() => emu, ['GitHub ID token', 'Entra access token']);
});
