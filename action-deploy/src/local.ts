// `target: local`: serves the model on the runner itself (no Docker), as Azure serves it: an ONNX model
// without code with the same scoring contract (shared/scoring on onnxruntime-web: no native binaries
// in the bundle, no Python); a scoring script (code-path) or an MLflow model in Microsoft's inference
// server, in a Python virtual environment built from the conda file (shared/python). The bundle starts
// itself again as a detached server process that outlives this step, so later steps of the job can
// call it; the post step (or local-keep-alive: false) stops it. A registered model is downloaded
// from the workspace first (serveRegisteredModel); only that path loads the Azure SDK. The server
// gets an allow-listed environment (no ACTIONS_RUNTIME_TOKEN, ID-token request variables or
// AZURE_CLIENT_SECRET), and the post step stops it through its loopback control port with a random
// stop token, never by a PID read from state (state can be forged; a PID can be reused).

import { spawn } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { ActionContext } from '../../shared/action/context.js';
import { gateFailure, runSmokeGate } from '../../shared/action/smokeGate.js';
import { UserError } from '../../shared/errors.js';
import {
  condaRequirements,
  EnvironmentBuildError,
  ensureScoringVenv,
  findInterpreter,
  INFERENCE_SERVER_PACKAGE,
  isMlflowModel,
  mlflowRequirements,
  namesInferenceServer,
  pythonMismatch,
  type ScoringRequirements,
} from '../../shared/python/environment.js';
import { forwardToServer, startInferenceServer } from '../../shared/python/inferenceServer.js';
import { findTritonModel, loadModel, startScoringServer, type ScoringContract } from '../../shared/scoring/index.js';
import type { SmokeResult } from '../../shared/smoke/index.js';
import type { DeployInputs } from './inputs.js';
import { setDeployOutputs, smokeCell, smokeOutcome } from './report.js';
import { deployRun, ML, type DeployRequest } from './run.js';

type LocalRequest = Extract<DeployInputs, { operation: 'serve-local' }>;

/** Set in the server process's environment: what to serve (the key travels in LOCAL_KEY_VARIABLE). */
export const LOCAL_SERVER_VARIABLE = 'AZUREML_ACTIONS_LOCAL_SERVER';
const LOCAL_KEY_VARIABLE = 'AZUREML_ACTIONS_LOCAL_KEY';
const LOCAL_STOP_TOKEN_VARIABLE = 'AZUREML_ACTIONS_LOCAL_STOP_TOKEN';
/** State for the post step: the server's loopback control port and its stop token (masked). */
const STATE_CONTROL = 'local-server-control';
/**
 * The only variables of the job the server sees (with LC_*): what Node and the OS need. Not the
 * runner's tokens (ACTIONS_RUNTIME_TOKEN, ACTIONS_ID_TOKEN_REQUEST_*), not AZURE_CLIENT_SECRET.
 */
const SERVER_ENVIRONMENT = [
  'PATH',
  'HOME',
  'USERPROFILE',
  'TMPDIR',
  'TEMP',
  'TMP',
  'RUNNER_TEMP',
  'LANG',
  'LANGUAGE',
  'TZ',
  'SystemRoot',
  'SYSTEMROOT',
  'windir',
  'ComSpec',
  'PATHEXT',
];
const READY_TIMEOUT_MS = 120_000;

/** action-deploy's MLflow scoring script (answers like Azure's generated one), shipped beside the bundle. */
const MLFLOW_SCORE_PY = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'assets', 'mlflow', 'score.py');

/** A scoring script served in azmlinfsrv: what the server process starts. */
interface PythonServing {
  python: string;
  entryScript: string;
  appRoot: string;
  modelDir: string;
  environment: Record<string, string>;
  /** For the log and the summary. */
  what: string;
}

interface ServerSpec {
  modelPath: string;
  port: number;
  readyFile: string;
  python?: PythonServing;
}

/**
 * How the model is served in Python, or undefined for an ONNX model without code (served natively).
 * Builds the environment now, in the step, so a package pip cannot install fails the step with its reason.
 */
async function preparePython(
  context: ActionContext,
  d: LocalRequest['deploy'],
  modelPath: string,
  runDir: string,
  modelFolderName: string,
): Promise<PythonServing | undefined> {
  const mlflow = d.codePath === undefined && statSync(modelPath).isDirectory() && isMlflowModel(modelPath);
  if (d.codePath === undefined && !mlflow) return undefined;
  const { log } = context;
  const what = mlflow
    ? `MLflow model ${path.basename(modelPath)} (no scoring script: served as Azure's no-code deployment)`
    : `scoring script ${d.scoringScript ?? 'score.py'}`;
  if (process.platform === 'win32') {
    // The venv layout (bin/python) and stopping the server's process group are POSIX here.
    throw new UserError(
      `target 'local' serves the ${what} on Linux and macOS runners only; use a Linux runner (runs-on: ubuntu-latest) for this step.`,
    );
  }
  const env = context.inputs.env.bind(context.inputs);
  const pythonLocation = env('pythonLocation');
  const base = await findInterpreter([
    ...(pythonLocation ? [path.join(pythonLocation, 'bin', 'python')] : []),
    'python3',
    'python',
  ]);
  if (!base) {
    throw new UserError(
      `target 'local' runs the ${what} with Python 3.8 or newer, and none was found on the runner (python3, python): add a step 'uses: actions/setup-python@v5' with 'python-version: "3.11"' before this one.`,
    );
  }
  let requirements: ScoringRequirements;
  if (mlflow) requirements = mlflowRequirements(modelPath);
  else {
    const condaFile = d.condaFile as string;
    try {
      requirements = condaRequirements(readFileSync(condaFile, 'utf8'), condaFile);
    } catch (error) {
      throw new UserError((error as Error).message, { input: 'conda-file' });
    }
    if (!namesInferenceServer(requirements.requirements)) {
      requirements.requirements.push(INFERENCE_SERVER_PACKAGE);
      log.warning(
        `${condaFile} does not name ${INFERENCE_SERVER_PACKAGE}: it was added here; on Azure your image or conda file must provide it.`,
      );
    }
  }
  const mismatch = pythonMismatch(requirements.python, base);
  if (mismatch) log.warning(`Python version: ${mismatch}.`);
  const venv = await log.group(`Python environment for the ${what}`, async () => {
    for (const note of requirements.notes) log.info(note);
    try {
      return await ensureScoringVenv({
        base,
        requirements: requirements.requirements,
        cacheRoot: path.join(env('RUNNER_TEMP') ?? os.tmpdir(), 'azureml-scoring-envs'),
        log: (line) => log.info(line),
      });
    } catch (error) {
      if (!(error instanceof EnvironmentBuildError)) throw error;
      throw new UserError(`The scoring environment could not be built on the runner: ${error.message}`, {
        input: mlflow ? 'model' : 'conda-file',
      });
    }
  });
  // The model where Azure mounts it: AZUREML_MODEL_DIR holds the registered file or folder by its name.
  // A copy, not a link: MLflow refuses a model whose files resolve outside the folder it was given.
  const modelDir = path.join(runDir, 'azureml-models', 'local', '1');
  mkdirSync(modelDir, { recursive: true });
  cpSync(path.resolve(modelPath), path.join(modelDir, modelFolderName), { recursive: true, dereference: true });
  const environment = { ...d.environmentVariables, ...(mlflow ? { MLFLOW_MODEL_FOLDER: modelFolderName } : {}) };
  if (mlflow) {
    const entryScript = path.join(runDir, 'score.py');
    cpSync(MLFLOW_SCORE_PY, entryScript);
    return { python: venv.python, entryScript, appRoot: runDir, modelDir, environment, what };
  }
  const appRoot = path.resolve(d.codePath as string);
  return {
    python: venv.python,
    entryScript: path.join(appRoot, d.scoringScript ?? 'score.py'),
    appRoot,
    modelDir,
    environment,
    what,
  };
}

export async function deployLocal(
  context: ActionContext,
  request: LocalRequest,
  modelFolderName?: string,
): Promise<void> {
  const d = request.deploy;
  const { log } = context;
  if (d.model.kind !== 'local')
    throw new UserError("target 'local' serves a model file or Triton folder: set 'model' to its path.", {
      input: 'model',
    });
  const key = randomBytes(24).toString('base64url');
  log.setSecret(key);
  const stopToken = randomBytes(24).toString('base64url');
  log.setSecret(stopToken);
  const runDir = path.join(
    context.inputs.env('RUNNER_TEMP') ?? os.tmpdir(),
    `azureml-local-${process.pid}-${Date.now()}`,
  );
  mkdirSync(runDir, { recursive: true });
  const python = await preparePython(context, d, d.model.path, runDir, modelFolderName ?? path.basename(d.model.path));
  const spec: ServerSpec = {
    modelPath: d.model.path,
    port: d.localPort,
    readyFile: path.join(runDir, 'ready.json'),
    ...(python ? { python } : {}),
  };
  const logFile = path.join(runDir, 'server.log');
  const out = openSync(logFile, 'a');
  // The script the runner started (dist/index.js): this code runs in a chunk of the bundle, and
  // `import.meta.url` names the chunk, which starts nothing on its own.
  const bundle = process.argv[1];
  if (!bundle) throw new Error('no entry script in process.argv to start the local scoring server with');
  const child = spawn(process.execPath, [bundle], {
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      ...serverEnvironment(process.env),
      [LOCAL_SERVER_VARIABLE]: JSON.stringify(spec),
      [LOCAL_KEY_VARIABLE]: key,
      [LOCAL_STOP_TOKEN_VARIABLE]: stopToken,
    },
  });
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new UserError('The local scoring server could not be started.');
  child.unref();
  const ready = await waitUntilReady(spec.readyFile, pid, logFile);
  context.state.save(STATE_CONTROL, JSON.stringify({ port: ready.controlPort, token: stopToken }));
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
  await deployLocal(
    context,
    {
      dryRun: false,
      endpoint: request.endpoint,
      target: 'local',
      operation: 'serve-local',
      deploy: { ...d, model: { kind: 'local', path: modelPath } },
    },
    // Azure mounts a registered folder under its own name (…/paths/LocalUpload/<hash>/model/ → model).
    path.basename(model.modelUri.replace(/\/+$/, '')),
  );
}

/** Post step: asks the server this job started to stop, through its loopback control port. */
export async function stopLocalServerFromState(context: ActionContext): Promise<void> {
  const saved = context.state.get(STATE_CONTROL);
  if (!saved) return;
  let control: { port?: unknown; token?: unknown };
  try {
    control = JSON.parse(saved) as { port?: unknown; token?: unknown };
  } catch {
    return;
  }
  const { port, token } = control;
  if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535 || typeof token !== 'string')
    return;
  context.log.setSecret(token);
  try {
    const response = await fetch(`http://127.0.0.1:${port}/shutdown`, {
      method: 'POST',
      headers: { 'x-stop-token': token },
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) return;
    const { pid } = (await response.json()) as { pid?: number };
    context.log.info(`Stopped the local scoring server (pid ${pid ?? '?'}).`);
  } catch {
    // already gone
  }
}

function stopLocalServer(pid: number): boolean {
  try {
    process.kill(pid, 'SIGTERM');
    return true;
  } catch {
    return false; // already gone
  }
}

/** The server process's environment: the allow-listed variables of the job's, nothing else. */
export function serverEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => SERVER_ENVIRONMENT.includes(name) || name.startsWith('LC_')),
  );
}

async function waitUntilReady(
  readyFile: string,
  pid: number,
  logFile: string,
): Promise<{ scoringUri: string; contract: string; controlPort: number }> {
  const started = Date.now();
  while (Date.now() - started < READY_TIMEOUT_MS) {
    if (existsSync(readyFile) && statSync(readyFile).size > 0)
      return JSON.parse(readFileSync(readyFile, 'utf8')) as {
        scoringUri: string;
        contract: string;
        controlPort: number;
      };
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
    // A Python traceback and azmlinfsrv's listing of the model folder take more than a few lines.
    return readFileSync(file, 'utf8').split('\n').slice(-60).join('\n');
  } catch {
    return '(no server log)';
  }
}

/** Server mode: the detached process serves until it is stopped. */
export async function serveLocally(specJson: string): Promise<void> {
  const spec = JSON.parse(specJson) as ServerSpec;
  const key = process.env[LOCAL_KEY_VARIABLE] ?? '';
  if (key === '') throw new Error('no key for the local scoring server');
  if (spec.python) return servePython(spec, key);
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
  const stop = () => void server.close().then(() => process.exit(0));
  const controlPort = await startControlServer(process.env[LOCAL_STOP_TOKEN_VARIABLE] ?? '', stop);
  writeFileSync(
    spec.readyFile,
    JSON.stringify({
      scoringUri,
      contract: contract.kind === 'json' ? 'JSON contract (POST /score)' : `KServe v2 (model ${contract.name})`,
      controlPort,
    }),
  );
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Server mode for a scoring script: azmlinfsrv on a loopback port behind the key-checking front. */
async function servePython(spec: ServerSpec, key: string): Promise<void> {
  const python = spec.python as PythonServing;
  const inference = await startInferenceServer({
    python: python.python,
    entryScript: python.entryScript,
    appRoot: python.appRoot,
    modelDir: python.modelDir,
    environment: python.environment,
    onOutput: (line) => process.stdout.write(`${line}\n`),
  }).catch((error: unknown) => {
    // The server's own output (the traceback) is already in the log: end with the reason, not a stack.
    process.stdout.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
  const server = await startScoringServer({
    forward: (request) => forwardToServer(inference.url, request),
    keys: [key],
    port: spec.port,
    deploymentName: 'local',
  });
  let stopping = false;
  const stop = () => {
    stopping = true;
    void Promise.all([server.close(), inference.stop()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // A crash after it was ready ends the front too: the post step then finds nothing to stop.
  void inference.exited.then(() => {
    if (!stopping) void server.close().finally(() => process.exit(1));
  });
  const controlPort = await startControlServer(process.env[LOCAL_STOP_TOKEN_VARIABLE] ?? '', stop);
  writeFileSync(
    spec.readyFile,
    JSON.stringify({
      scoringUri: server.scoringUri,
      contract: `${python.what} in azmlinfsrv (POST /score)`,
      controlPort,
    }),
  );
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** A loopback-only port where `POST /shutdown` with the stop token stops the server; returns the port. */
export async function startControlServer(token: string, stop: () => void): Promise<number> {
  if (token === '') throw new Error('no stop token for the local scoring server');
  const expected = Buffer.from(token);
  const control = createServer((req, res) => {
    const given = Buffer.from(String(req.headers['x-stop-token'] ?? ''));
    const ok =
      req.method === 'POST' &&
      req.url === '/shutdown' &&
      given.length === expected.length &&
      timingSafeEqual(given, expected);
    res.writeHead(ok ? 200 : 403, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? { pid: process.pid } : { error: 'forbidden' }), () => {
      if (ok) stop();
    });
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  control.unref();
  return (control.address() as AddressInfo).port;
}
