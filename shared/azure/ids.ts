// ARM resource IDs and asset references of a workspace, built in one place so every action and
// summary names resources the way Azure does.

import { createHash } from 'node:crypto';
import type { AzureSettings } from './settings.js';

type WorkspaceRef = Pick<AzureSettings, 'subscriptionId' | 'resourceGroup' | 'workspace'>;

export function workspaceId(ws: WorkspaceRef): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.workspace}`;
}

/** A resource under the workspace, e.g. `models/vad/versions/3`. */
export function workspaceResourceId(ws: WorkspaceRef, relative: string): string {
  return `${workspaceId(ws)}/${relative}`;
}

/** The reference later steps pass around: `azureml:NAME:VERSION`. */
export function assetReference(name: string, version: string): string {
  return `azureml:${name}:${version}`;
}

/**
 * A deployment name derived from the model name and version (DESIGN.md): Azure's rule is a letter
 * first, then letters, digits and '-', at most 32 characters; names cut to fit get a short hash so
 * two long model names never collide.
 */
export function deriveDeploymentName(modelName: string, modelVersion: string): string {
  const wanted = `${modelName}-v${modelVersion}`;
  let cleaned = wanted
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  if (!/^[a-z]/.test(cleaned)) cleaned = `m-${cleaned}`;
  if (cleaned.length <= 32) return cleaned;
  const hash = createHash('sha256').update(wanted).digest('hex').slice(0, 6);
  return `${cleaned.slice(0, 32 - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}
