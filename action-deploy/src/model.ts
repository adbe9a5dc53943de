// The model a release serves: the version the step names, the latest, or the previous release's
// (endpoint history); its size for choosing a target, and its files for serving it on the runner.

import type { OnlineEndpoint } from '@azure/arm-machinelearning';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { explainArmError, isNotFound } from '../../shared/azure/armError.js';
import type { WorkspaceConnection } from '../../shared/azure/connect.js';
import { openDatastore, type OpenDatastore } from '../../shared/azure/datastore.js';
import { workspaceResourceId } from '../../shared/azure/ids.js';
import { UserError } from '../../shared/errors.js';
import type { ModelReference } from './inputs.js';
import { previousRelease, readReleases } from './releases.js';
import type { DeployRun } from './run.js';

export interface ResolvedModel {
  name: string;
  version: string;
  id: string;
  modelType: string;
  modelUri: string;
}

/** The model the step names: a version, the latest, or the previous release's (endpoint history). */
export function resolveRequestedModel(run: DeployRun, existing: OnlineEndpoint | undefined): Promise<ResolvedModel> {
  const ref = run.deploy.model;
  return ref.kind === 'previous' ? resolvePreviousModel(run, existing, ref.name) : resolveModel(run.connection, ref);
}

/** `model: previous`: the model of the release before the current one, from the endpoint's tags. */
async function resolvePreviousModel(
  run: DeployRun,
  existing: OnlineEndpoint | undefined,
  name: string | undefined,
): Promise<ResolvedModel> {
  const { endpoint } = run;
  if (!existing) {
    throw new UserError(`Endpoint '${endpoint}' does not exist, so it has no previous release to go back to.`, {
      input: 'model',
    });
  }
  const releases = readReleases(existing.tags);
  const target = previousRelease(endpoint, releases, name);
  const [current] = releases;
  run.log.info(
    `Rolling back ${endpoint} from ${current?.model ?? '?'} (released ${current?.time ?? '?'}) to ${target.model} (released ${target.time}${target.commit ? ` from commit ${target.commit}` : ''}).`,
  );
  const separator = target.model.lastIndexOf(':');
  return resolveModel(run.connection, {
    kind: 'version',
    name: target.model.slice(0, separator),
    version: target.model.slice(separator + 1),
  });
}

async function resolveModel({ client, settings }: WorkspaceConnection, ref: ModelReference): Promise<ResolvedModel> {
  const { resourceGroup: rg, workspace: ws } = settings;
  if (ref.kind !== 'version' && ref.kind !== 'latest')
    throw new UserError('Unsupported model reference.', { input: 'model' });
  let version = ref.kind === 'version' ? ref.version : undefined;
  if (version === undefined) {
    const container = await client.modelContainers.get(rg, ws, ref.name).catch((error: unknown) => {
      throw explainArmError(
        error,
        `reading model ${ref.name}`,
        isNotFound(error) ? `No model named '${ref.name}' is registered in workspace '${ws}'.` : undefined,
      );
    });
    version = container.properties.latestVersion ?? undefined;
    if (!version) throw new UserError(`Model '${ref.name}' has no versions.`, { input: 'model' });
  }
  const found = await client.modelVersions.get(rg, ws, ref.name, version).catch((error: unknown) => {
    throw explainArmError(
      error,
      `reading model ${ref.name}:${version}`,
      isNotFound(error) ? `Model '${ref.name}' has no version '${version}' in workspace '${ws}'.` : undefined,
    );
  });
  return {
    name: ref.name,
    version,
    id: found.id ?? workspaceResourceId(settings, `models/${ref.name}/versions/${version}`),
    modelType: found.properties.modelType ?? 'custom_model',
    modelUri: found.properties.modelUri ?? '',
  };
}

/** The model's size in bytes (sum of its blobs), or undefined when its files are not in a workspace datastore. */
export async function modelSize(run: DeployRun, model: ResolvedModel): Promise<number | undefined> {
  try {
    const files = await openModelFiles(run, model);
    if (!files) return undefined;
    let total = 0;
    for await (const blob of files.datastore.container.listBlobsFlat({ prefix: files.path }))
      total += blob.properties.contentLength ?? 0;
    return total;
  } catch {
    return undefined;
  }
}

/** The model's blobs under its modelUri, written below RUNNER_TEMP; answers the file or folder to serve. */
export async function downloadModel(run: DeployRun, model: ResolvedModel): Promise<string> {
  const stored = await openModelFiles(run, model);
  if (!stored) {
    throw new UserError(
      `Model ${model.name}:${model.version} points at '${model.modelUri}', not at a workspace datastore: target 'local' can serve only models whose files are in the workspace.`,
      { input: 'model' },
    );
  }
  const { datastore } = stored;
  const prefix = stored.path.replace(/\/$/, '');
  const root = path.join(
    run.context.inputs.env('RUNNER_TEMP') ?? os.tmpdir(),
    `azureml-model-${model.name}-${model.version}`.replace(/[^\w.-]/g, '-'),
  );
  let files = 0;
  let bytes = 0;
  for await (const blob of datastore.container.listBlobsFlat({ prefix })) {
    const relative = blob.name === prefix ? path.basename(prefix) : blob.name.slice(prefix.length).replace(/^\/+/, '');
    // Blob names come from the service: never write outside the download folder.
    const target = path.resolve(root, relative);
    if (relative === '' || !target.startsWith(root + path.sep)) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    await datastore.container.getBlockBlobClient(blob.name).downloadToFile(target);
    files++;
    bytes += blob.properties.contentLength ?? 0;
  }
  if (files === 0) {
    throw new UserError(`Model ${model.name}:${model.version} has no files at ${model.modelUri}.`, { input: 'model' });
  }
  run.log.info(`Downloaded ${files} file(s), ${bytes} bytes, to ${root}.`);
  const entries = readdirSync(root);
  // One file (an .onnx): serve that file; otherwise the folder (a Triton model repository).
  return entries.length === 1 && entries[0] && statSync(path.join(root, entries[0])).isFile()
    ? path.join(root, entries[0])
    : root;
}

/** The datastore holding a model's files and their path in it, or undefined when its URI is not a workspace datastore's. */
async function openModelFiles(
  { log, connection }: DeployRun,
  model: ResolvedModel,
): Promise<{ datastore: OpenDatastore; path: string } | undefined> {
  const match = /\/datastores\/([^/]+)\/paths\/(.+)$/.exec(model.modelUri);
  if (!match?.[1] || !match[2]) return undefined;
  const datastore = await openDatastore({
    client: connection.client,
    settings: connection.settings,
    credential: connection.session.credential,
    log,
    name: match[1],
  });
  return { datastore, path: decodeURIComponent(match[2]) };
}
