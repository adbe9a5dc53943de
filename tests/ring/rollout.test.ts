/**
 * @jest-environment ./tests/scoring/native-arrays-environment.js
 */
// The rollout on its own (action-deploy/src/rollout.ts), driven with a DeployRun against the
// emulator: a plan whose view of the traffic is no longer true (another run changed it) stops at
// the first shift, leaves that traffic as it is and removes only this run's new deployment.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deploymentBody } from '../../action-deploy/src/deployment.js';
import { readDeployInputs } from '../../action-deploy/src/inputs.js';
import { deploy } from '../../action-deploy/src/main.js';
import { resolveRequestedModel } from '../../action-deploy/src/model.js';
import { rollOut } from '../../action-deploy/src/rollout.js';
import { deployRun } from '../../action-deploy/src/run.js';
import { register } from '../../action-register/src/main.js';
import type { RunningEmulator } from '../../emulator/index.js';
import type { ActionContext } from '../../shared/action/context.js';
import { connectToWorkspace } from '../../shared/azure/connect.js';
import { InputReader } from '../../shared/inputs/reader.js';
import { start } from '../emulator/helpers.js';
import { runInProcess } from '../harness/inProcess.js';
import { SILERO, SILERO_PAYLOAD } from '../support/silero.js';

let emu: RunningEmulator;
const workspace = mkdtempSync(path.join(os.tmpdir(), 'ring-rollout-'));

beforeAll(async () => {
  emu = await start({ azurite: true, scoring: undefined });
  mkdirSync(path.join(workspace, 'models'));
  copyFileSync(SILERO, path.join(workspace, 'models', 'silero_vad.onnx'));
  writeFileSync(path.join(workspace, 'payload.json'), JSON.stringify(SILERO_PAYLOAD));
  const registered = await runInProcess(register, {
    action: 'action-register',
    inputs: { name: 'vad', path: 'models/silero_vad.onnx' },
    env: emu.env,
    workspace,
  });
  expect(registered.failure).toBe('');
  const released = await runInProcess(deploy, {
    action: 'action-deploy',
    inputs: { endpoint: 'solo', model: 'vad:1' },
    env: emu.env,
    workspace,
  });
  expect(released.outputs.traffic).toBe('{"vad-v1":100}');
}, 120_000);
afterAll(async () => {
  await emu?.stop();
});

describe('rollOut', () => {
  it('stops when the traffic is not what this run saw: the other run’s traffic stays, only the new deployment goes', async () => {
    let traffic: Record<string, number> | undefined;
    let deployments: string[] = [];
    const rollout = await runInProcess(
      async (context: ActionContext) => {
        const request = readDeployInputs(new InputReader(context.inputs));
        if (request.operation !== 'deploy') throw new Error('expected a deploy request');
        const connection = await connectToWorkspace(context, request.common.azure, []);
        const run = deployRun(context, connection, request);
        const model = await resolveRequestedModel(run, undefined);
        const body = await deploymentBody(run, model, 'aci', connection.workspace.location ?? 'eastus');
        const { client, settings } = connection;
        try {
          await rollOut(
            run,
            {
              deployment: 'vad-late',
              previous: 'vad-v1',
              previousBody: undefined,
              inPlace: false,
              // What this run believes; the endpoint really has {"vad-v1":100}.
              trafficBefore: { 'vad-v1': 50, 'vad-other': 50 },
              release: { deployment: 'vad-late', model: 'vad:1', commit: '', time: new Date().toISOString() },
            },
            body,
          );
        } finally {
          const endpoint = await client.onlineEndpoints.get(settings.resourceGroup, settings.workspace, 'solo');
          traffic = endpoint.properties.traffic;
          for await (const d of client.onlineDeployments.list(settings.resourceGroup, settings.workspace, 'solo'))
            deployments.push(d.name ?? '');
          deployments = deployments.sort();
        }
      },
      { action: 'action-deploy', inputs: { endpoint: 'solo', model: 'vad:1' }, env: emu.env, workspace },
    );
    expect(rollout.isBug).toBe(false);
    expect(rollout.failure).toContain(
      `Another run changed endpoint 'solo''s traffic while this one was deploying (this run expected {"vad-v1":50,"vad-other":50}, it is {"vad-v1":100})`,
    );
    expect(rollout.outputs['rolled-back']).toBe('true');
    expect(rollout.log).toContain('Removing the failed deployment vad-late');
    expect(traffic).toEqual({ 'vad-v1': 100 });
    expect(deployments).toEqual(['vad-v1']);
  });
});
