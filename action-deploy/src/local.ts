// `target: local`: serves the model on the runner itself (no Docker), with the same scoring contract
// as Azure (shared/scoring on onnxruntime-web: no native binaries in the bundle). The bundle starts
// itself again as a detached server process that outlives this step, so later steps of the job can
// call it; the post step (or local-keep-alive: false) stops it. A registered model is downloaded
// from the workspace first (serveRegisteredModel); only that path loads the Azure SDK.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ActionContext } from '../../shared/action/context.js';
import { gateFailure, runSmokeGate } from '../../shared/action/smokeGate.js';
import { UserError } from '../../shared/errors.js';
import { findTritonModel, loadModel, startScoringServer, type ScoringContract } from '../../shared/scoring/index.js';
import type { SmokeResult } from '../../shared/smoke/index.js';
import type { DeployInputs } from './inputs.js';
import { setDeployOutputs, smokeCell, smokeOutcome } from './report.js';
import { deployRun, ML, type DeployRequest } from './run.js';

type LocalRequest = Extract<DeployInputs, { operation: 'serve-local' }>;

/** Set in the server process's environment: what to serve (the key travels in LOCAL_KEY_VARIABLE). */
export const LOCAL_SERVER_VARIABLE = 'AZUREML_ACTIONS_LOCAL_SERVER';
const LOCAL_KEY_VARIABLE = 'AZUREML_ACTIONS_LOCAL_KEY';
const STATE_PID = 'local-server-pid';
const READY_TIMEOUT_MS = 120_000;

interface ServerSpec {
  modelPath: string;
  port: number;
  readyFile: string;
}

export async function deployLocal(context: ActionContext, request: LocalRequest): Promise<void> {
  const d = request.deploy;
  const { log } = context;
  if (d.model.kind !== 'local')
    throw new UserError("target 'local' serves a model file or Triton folder: set 'model' to its path.", {
      input: 'model',
    });
  const key = randomBytes(24).toString('base64url');
  log.setSecret(key);
  const runDir = path.join(
    context.inputs.env('RUNNER_TEMP') ?? os.tmpdir(),
    `azureml-local-${process.pid}-${Date.now()}`,
  );
  mkdirSync(runDir, { recursive: true });
  const spec: ServerSpec = { modelPath: d.model.path, port: d.localPort, readyFile: path.join(runDir, 'ready.json') };
  const logFile = path.join(runDir, 'server.log');
  const out = openSync(logFile, 'a');
  // The script the runner started (dist/index.js): this code runs in a chunk of the bundle, and
  // `import.meta.url` names the chunk, which starts nothing on its own.
  const bundle = process.argv[1];
  if (!bundle) throw new Error('no entry script in process.argv to start the local scoring server with');
  const child = spawn(process.execPath, [bundle], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...onlyNonInputEnvironment(), [LOCAL_SERVER_VARIABLE]: JSON.stringify(spec), [LOCAL_KEY_VARIABLE]: key },
  });
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new UserError('The local scoring server could not be started.');
  child.unref();
  context.state.save(STATE_PID, String(pid));
  const ready = await waitUntilReady(spec.readyFile, pid, logFile);
  log.info(`Serving ${d.model.path} at ${ready.scoringUri} (${ready.contract}; pid ${pid}, log ${logFile}).`);

  let smoke: SmokeResult | undefined;
  if (d.smokeTest) {
    smoke = await runSmokeGate(context, d.smokeTest, {
      scoringUri: ready.scoringUri,
      credential: { kind: 'key', value: key },
      deployment: undefined,
    });
    context.outputs.set('smoke-test', smokeOutcome(smoke));
    if (!smoke.passed) {
      stopLocalServer(pid);
      throw gateFailure(smoke);
    }
  }
  if (!d.localKeepAlive) stopLocalServer(pid);
  setDeployOutputs(context, {
    endpoint: request.endpoint,
    deployment: 'local',
    scoringUri: d.localKeepAlive ? ready.scoringUri : '',
    target: 'local',
    authMode: 'key',
    traffic: { local: 100 },
    smoke,
    // masked above; ephemeral, valid for this job only
    ...(d.localKeepAlive ? { key } : {}),
  });
  if (!smoke) log.warning('No smoke test ran (smoke-test-payload is not set): this model was not gated.');
  context.summary.append(
    [
      `### Serving ${path.basename(d.model.path)} locally`,
      '',
      '| | |',
      '|---|---|',
      `| scoring URI | ${d.localKeepAlive ? `\`${ready.scoringUri}\` (until the job ends)` : 'stopped after the smoke test'} |`,
      `| contract | ${ready.contract} |`,
      `| smoke test | ${smokeCell(smoke)} |`,
      '',
    ].join('\n'),
  );
}

/**
 * target local with a registered model: download its files from the workspace datastore into
 * RUNNER_TEMP, then serve them like a model file from the repository (deployLocal). The Azure
 * modules are imported here, so serving a file from the repository never loads the SDK.
 */
export async function serveRegisteredModel(context: ActionContext, request: DeployRequest): Promise<void> {
  const d = request.deploy;
  const { connectToWorkspace } = await import('../../shared/azure/connect.js');
  const { downloadModel, resolveRequestedModel } = await import('./model.js');
  const connection = await connectToWorkspace(context, request.common.azure, [
    { action: `${ML}/models/versions/read`, purpose: 'read the model to serve' },
    { action: `${ML}/datastores/listsecrets/action`, purpose: "download the model's files with the datastore key" },
  ]);
  const run = deployRun(context, connection, request);
  const existing =
    d.model.kind === 'previous'
      ? await connection.client.onlineEndpoints
          .get(connection.settings.resourceGroup, connection.settings.workspace, request.endpoint)
          .catch(() => undefined)
      : undefined;
  const model = await resolveRequestedModel(run, existing);
  const modelPath = await context.log.group(`Download ${model.name}:${model.version}`, () => downloadModel(run, model));
  await deployLocal(context, {
    dryRun: false,
    endpoint: request.endpoint,
    target: 'local',
    operation: 'serve-local',
    deploy: { ...d, model: { kind: 'local', path: modelPath } },
  });
}

/** Post step: stops the server this job started, if it still runs. */
export function stopLocalServerFromState(context: ActionContext): void {
  const pid = Number(context.state.get(STATE_PID));
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (stopLocalServer(pid)) context.log.info(`Stopped the local scoring server (pid ${pid}).`);
}

function stopLocalServer(pid: number): boolean {
  try {
    process.kill(pid, 'SIGTERM');
    return true;
  } catch {
    return false; // already gone
  }
}

/** The server process's environment: the job's, without this step's inputs. */
function onlyNonInputEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('INPUT_') && !name.startsWith('STATE_')),
  );
}

async function waitUntilReady(
  readyFile: string,
  pid: number,
  logFile: string,
): Promise<{ scoringUri: string; contract: string }> {
  const started = Date.now();
  while (Date.now() - started < READY_TIMEOUT_MS) {
    if (existsSync(readyFile) && statSync(readyFile).size > 0)
      return JSON.parse(readFileSync(readyFile, 'utf8')) as { scoringUri: string; contract: string };
    try {
      process.kill(pid, 0);
    } catch {
      throw new UserError(`The local scoring server exited before it was ready:\n${tail(logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  stopLocalServer(pid);
  throw new UserError(`The local scoring server was not ready within ${READY_TIMEOUT_MS / 1000}s:\n${tail(logFile)}`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no server log)';
  }
}

/** Server mode: the detached process serves until it is stopped. */
export async function serveLocally(specJson: string): Promise<void> {
  const spec = JSON.parse(specJson) as ServerSpec;
  const key = process.env[LOCAL_KEY_VARIABLE] ?? '';
  if (key === '') throw new Error('no key for the local scoring server');
  let contract: ScoringContract;
  let modelFile = spec.modelPath;
  if (statSync(spec.modelPath).isDirectory()) {
    const triton = await findTritonModel(spec.modelPath);
    contract = { kind: 'kserve-v2', name: triton.name, version: triton.version };
    modelFile = triton.onnxPath;
  } else {
    contract = { kind: 'json' };
  }
  // The session runs on its own thread: while the model computes one request, this thread parses
  // and answers the next, so the server uses two cores (bench/ `serve` measures both ways).
  const model = await loadModel(modelFile, { backend: 'onnxruntime-web', worker: true });
  const server = await startScoringServer({ model, contract, keys: [key], port: spec.port, deploymentName: 'local' });
  const scoringUri = contract.kind === 'json' ? server.scoringUri : `${server.url}/v2/models/${contract.name}/infer`;
  writeFileSync(
    spec.readyFile,
    JSON.stringify({
      scoringUri,
      contract: contract.kind === 'json' ? 'JSON contract (POST /score)' : `KServe v2 (model ${contract.name})`,
    }),
  );
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
