// Deployments served as Azure serves them: Microsoft's inference server (azmlinfsrv) running the
// deployment's own scoring script (or, for an MLflow model without one, action-deploy's MLflow
// script, which answers as Azure's generated one), with the code downloaded from the code asset's
// blobs, the model's files in AZUREML_MODEL_DIR, in a virtual environment built from the deployment's
// environment (shared/python). Started while the deployment provisions, so init() failures fail it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pythonEnvStatus } from '../scripts/python-env.js';
import {
  condaRequirements,
  curatedRequirements,
  EnvironmentBuildError,
  ensureScoringVenv,
  INFERENCE_SERVER_PACKAGE,
  mlflowRequirements,
  namesInferenceServer,
  pythonMismatch,
  type ScoringRequirements,
} from '../shared/python/environment.js';
import { forwardToServer, startInferenceServer, type InferenceServer } from '../shared/python/inferenceServer.js';
import { listBlobs, parseDatastoreUri, readBlob, type BlobLocation } from './blob.js';
import type { EmulatorContext } from './context.js';
import { isRecord, type Reply } from './http.js';
import { resolveAsset } from './arm/onlineDeployments.js';
import { containerOutput, logLine } from './arm/onlineState.js';
import { genericScorePy } from './onnxScoring.js';
import { getResource } from './arm/store.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The script Azure's no-code MLflow deployment runs is generated; this one answers like it (its docstring). */
export const mlflowScorePy = join(repoRoot, 'action-deploy', 'assets', 'mlflow', 'score.py');
/** Scoring environments, cached by content across emulator runs (gitignored .cache). */
const ENV_CACHE = join(repoRoot, '.cache', 'python', 'scoring-envs');

interface Running {
  server: InferenceServer;
  workDir: string;
}

const servers = new WeakMap<EmulatorContext, Map<string, Running>>();
function serversOf(ctx: EmulatorContext): Map<string, Running> {
  let map = servers.get(ctx);
  if (!map) {
    map = new Map();
    servers.set(ctx, map);
  }
  return map;
}

/** A provisioning failure: ARM's error for the deployment. */
export type ProvisionError = { code: string; message: string };

const limitation = (message: string): ProvisionError => ({
  code: 'EmulatorLimitation',
  message: `Emulator limitation (not an Azure failure): ${message}`,
});
const crashed: ProvisionError = {
  code: 'ResourceNotReady',
  // Azure's words for a container that ends while it starts (online endpoint troubleshooting guide).
  message:
    'User container has crashed or terminated. Please see troubleshooting guide, available here: https://aka.ms/oe-tsg#error-resourcenotready',
};

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Whether a deployment is served by a Python inference server (rather than natively, or not at all). */
export async function needsPython(
  ctx: EmulatorContext,
  properties: Record<string, unknown>,
  model: Record<string, unknown> | undefined,
): Promise<'script' | 'mlflow' | undefined> {
  const code = isRecord(properties.codeConfiguration) ? properties.codeConfiguration : undefined;
  const type = model && isRecord(model.properties) ? String(model.properties.modelType ?? 'custom_model') : '';
  if (ctx.settings.pythonScoring === 'off') return undefined;
  if (!code) return /^mlflow_?model$/i.test(type) ? 'mlflow' : undefined;
  if (ctx.settings.pythonScoring === 'all') return 'script';
  // action-deploy's generic ONNX score.py is answered natively (onnxScoring.ts): the same contract,
  // ten times the requests per second and no Python (tests/scoring/score-py.test.ts proves them alike).
  const script = await codeFiles(ctx, code)
    .then((c) => (c ? readBlob(ctx, c.loc, `${c.prefix}${String(code.scoringScript)}`) : undefined))
    .catch(() => undefined);
  return script && sha256(script) === sha256(readFileSync(genericScorePy)) ? undefined : 'script';
}

async function codeFiles(
  ctx: EmulatorContext,
  code: Record<string, unknown>,
): Promise<{ loc: BlobLocation; prefix: string } | undefined> {
  const asset = typeof code.codeId === 'string' ? resolveAsset(ctx, code.codeId, 'codes') : undefined;
  const uri = asset && isRecord(asset.properties) ? String(asset.properties.codeUri ?? '') : '';
  const loc = parseDatastoreUri(ctx, uri);
  return loc && { loc, prefix: loc.path.replace(/^\/+/, '').replace(/\/?$/, '/') };
}

/** Writes the blobs under a location into a folder (the folder's own name kept for a folder, as Azure mounts models). */
async function download(
  ctx: EmulatorContext,
  loc: BlobLocation,
  into: string,
  keepFolderName: boolean,
): Promise<number> {
  const prefix = loc.path.replace(/^\/+/, '').replace(/\/+$/, '');
  const names = await listBlobs(ctx, loc);
  for (const name of names) {
    const relative =
      name === prefix ? basename(prefix) : join(keepFolderName ? basename(prefix) : '', name.slice(prefix.length + 1));
    const target = resolve(into, relative);
    if (!target.startsWith(resolve(into) + sep)) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, await readBlob(ctx, loc, name));
  }
  return names.length;
}

/** The environment resource a deployment names, the version when it names a container (`@latest`). */
function environmentOf(ctx: EmulatorContext, environmentId: string): Record<string, unknown> | undefined {
  const found = resolveAsset(ctx, environmentId, 'environments');
  if (!found || /\/versions\/[^/]+$/i.test(String(found.id))) return found;
  const latest = isRecord(found.properties) ? found.properties.latestVersion : undefined;
  return typeof latest === 'string' ? getResource(ctx, `${String(found.id)}/versions/${latest}`)?.body : undefined;
}

/** What the deployment's environment asks pip for, or why the emulator cannot build it. */
function deploymentRequirements(ctx: EmulatorContext, environmentId: string): ScoringRequirements | ProvisionError {
  const registry = /^azureml:\/\/registries\/([^/]+)\/environments\/([^/]+)/i.exec(environmentId);
  if (registry) {
    const curated = registry[1] === 'azureml' ? curatedRequirements(registry[2] ?? '') : undefined;
    return (
      curated ??
      limitation(
        `registry environment '${environmentId}' is not one whose packages the emulator knows (shared/python/condaPackages.ts).`,
      )
    );
  }
  const env = environmentOf(ctx, environmentId);
  const p = env && isRecord(env.properties) ? env.properties : undefined;
  if (!p) return limitation(`environment '${environmentId}' was not found.`);
  if (p.environmentType === 'Curated') {
    const name = String(env?.id).split('/environments/')[1]?.split('/')[0] ?? '';
    return (
      curatedRequirements(name) ?? limitation(`curated environment '${name}' has no package list in the emulator.`)
    );
  }
  if (p.build) return limitation('environments built from a Docker context cannot be reproduced without Docker.');
  const image = String(p.image ?? '');
  const base: ScoringRequirements =
    typeof p.condaFile === 'string' && p.condaFile.trim() !== ''
      ? condaRequirements(p.condaFile, `the conda file of ${environmentId}`)
      : { requirements: [], python: undefined, notes: [`image ${image} only: no conda file, no packages added`] };
  if (!namesInferenceServer(base.requirements)) {
    base.requirements.push(INFERENCE_SERVER_PACKAGE);
    // Microsoft's *-inference images carry the server; on others Azure's container has no azmlinfsrv.
    if (!/inference/i.test(image))
      base.notes.push(
        `warning: neither the conda file nor the image ${image} provides ${INFERENCE_SERVER_PACKAGE}; the emulator adds it, Azure would not (add it to the conda file's pip list)`,
      );
  }
  return base;
}

/**
 * Starts the deployment's inference server (stopping the one it had). Resolves with undefined when
 * it answers, or with the ARM error that fails the deployment; every step is in the InferenceServer log.
 */
export async function provisionPythonServer(
  ctx: EmulatorContext,
  deploymentId: string,
  body: Record<string, unknown>,
  model: Record<string, unknown> | undefined,
  kind: 'script' | 'mlflow',
  log: string[],
): Promise<ProvisionError | undefined> {
  await stopPythonServer(ctx, deploymentId);
  const properties = body.properties as Record<string, unknown>;
  const platform = (line: string) => logLine(log, line);
  if (!ctx.blobUrl) return limitation('scoring scripts run only when the emulator has blob storage (Azurite).');
  const baseEnv = pythonEnvStatus();
  if (!('python' in baseEnv))
    return limitation(`Python scoring needs the project's Python environment: ${baseEnv.reason} (npm run python-env).`);
  const workDir = join(
    tmpdir(),
    'azureml-emulator-scoring',
    createHash('sha256').update(`${ctx.instanceId}${deploymentId}${Date.now()}`).digest('hex').slice(0, 16),
  );
  const codeDir = join(workDir, 'code');
  mkdirSync(codeDir, { recursive: true });
  const running = (): Running | undefined => serversOf(ctx).get(deploymentId.toLowerCase());
  let started = false;
  try {
    // The model, where Azure mounts it: azureml-models/{name}/{version}, a folder keeping its name.
    let modelDir: string | undefined;
    let modelFolder = '';
    if (model && isRecord(model.properties)) {
      const loc = parseDatastoreUri(ctx, String(model.properties.modelUri ?? ''));
      const name = String(model.id).split('/models/')[1]?.split('/versions/')[0] ?? 'model';
      modelDir = join(workDir, 'azureml-models', name, String(model.name));
      mkdirSync(modelDir, { recursive: true });
      if (loc) {
        await download(ctx, loc, modelDir, true);
        modelFolder = basename(loc.path.replace(/\/+$/, ''));
      }
    }
    let entryScript: string;
    let requirements: ScoringRequirements | ProvisionError;
    const environment: Record<string, string> = {};
    for (const [k, v] of Object.entries(
      isRecord(properties.environmentVariables) ? properties.environmentVariables : {},
    ))
      environment[k] = String(v);
    if (kind === 'mlflow') {
      entryScript = join(codeDir, 'score.py');
      writeFileSync(entryScript, readFileSync(mlflowScorePy));
      environment.MLFLOW_MODEL_FOLDER = modelFolder;
      requirements = mlflowRequirements(join(modelDir ?? workDir, modelFolder));
      platform(`MLflow model without a scoring script: serving it with a generated scoring script (input_data)`);
    } else {
      const code = properties.codeConfiguration as Record<string, unknown>;
      const files = await codeFiles(ctx, code);
      if (!files) return limitation(`the code of ${String(code.codeId)} is not in a workspace datastore.`);
      const count = await download(ctx, files.loc, codeDir, false);
      entryScript = resolve(codeDir, String(code.scoringScript));
      if (!entryScript.startsWith(codeDir + sep) || !existsSync(entryScript)) {
        platform(`Error: the scoring script '${String(code.scoringScript)}' is not in the code (${count} file(s)).`);
        return crashed;
      }
      requirements = deploymentRequirements(ctx, String(properties.environmentId ?? ''));
    }
    if ('code' in requirements) {
      platform(requirements.message);
      return requirements;
    }
    for (const note of requirements.notes) platform(note);
    const base = { python: baseEnv.python, version: baseEnv.version };
    const mismatch = pythonMismatch(requirements.python, base);
    if (mismatch) platform(`warning: ${mismatch}`);
    let venv;
    try {
      venv = await ensureScoringVenv({
        base,
        requirements: requirements.requirements,
        cacheRoot: ENV_CACHE,
        log: platform,
      });
    } catch (error) {
      if (!(error instanceof EnvironmentBuildError)) throw error;
      const failure = limitation(
        `the environment's packages could not be installed with pip on this machine (Azure builds its image with conda, which may succeed): ${error.message}`,
      );
      platform(failure.message);
      return failure;
    }
    platform(
      `Starting azmlinfsrv with ${basename(entryScript)} (${venv.built ? 'environment built' : 'cached environment'})`,
    );
    let server: InferenceServer;
    try {
      server = await startInferenceServer({
        python: venv.python,
        entryScript,
        appRoot: codeDir,
        modelDir,
        environment,
        onOutput: (line) => containerOutput(log, line),
      });
    } catch (error) {
      platform(`${(error as Error).message} Container exited; restarting (CrashLoopBackOff)`);
      return crashed;
    }
    started = true;
    serversOf(ctx).set(deploymentId.toLowerCase(), { server, workDir });
    void server.exited.then((code) => {
      if (running()?.server !== server) return;
      platform(`The inference server exited with code ${String(code)}.`);
      serversOf(ctx).delete(deploymentId.toLowerCase());
      rmSync(workDir, { recursive: true, force: true });
    });
    platform(`Server is ready: ${server.url} (pid ${server.pid})`);
    return undefined;
  } catch (error) {
    const failure = limitation(`the deployment could not be prepared: ${(error as Error).message}`);
    platform(failure.message);
    return failure;
  } finally {
    if (!started) rmSync(workDir, { recursive: true, force: true });
  }
}

/** Stops a deployment's server (deleted, updated) and removes its files. */
export async function stopPythonServer(ctx: EmulatorContext, deploymentId: string): Promise<void> {
  const key = deploymentId.toLowerCase();
  const entry = serversOf(ctx).get(key);
  if (!entry) return;
  serversOf(ctx).delete(key);
  await entry.server.stop();
  rmSync(entry.workDir, { recursive: true, force: true });
}

/** Stops every server of this emulator (at stop: no process outlives it). */
export async function stopAllPythonServers(ctx: EmulatorContext): Promise<void> {
  await Promise.all([...serversOf(ctx).keys()].map((id) => stopPythonServer(ctx, id)));
}

/** The running server of a deployment, if it has one. */
export function pythonServerOf(ctx: EmulatorContext, deploymentId: string): InferenceServer | undefined {
  return serversOf(ctx).get(deploymentId.toLowerCase())?.server;
}

/** A scoring call passed to the deployment's server, as Azure's front end routes it. */
export function proxyToServer(
  server: InferenceServer,
  request: { method: string; path: string; headers: Record<string, string | string[] | undefined>; body: Buffer },
): Promise<Reply> {
  return forwardToServer(server.url, request);
}
