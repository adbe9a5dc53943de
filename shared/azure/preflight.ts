// The pre-flight every action runs before its first change: log in, read the workspace, and check
// the caller's permissions on it (Microsoft.Authorization/permissions) against what this step will
// do, so a missing role fails in seconds with the action and a role that grants it, not halfway.

import type { Workspace } from '@azure/arm-machinelearning';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { UserError } from '../errors.js';
import type { Logger } from '../logger.js';
import { armErrorDetails, explainArmError } from './armError.js';
import type { MlClient } from './client.js';
import { workspaceId } from './ids.js';
import { checkLogin, type LoginSession } from './login.js';

/** An ARM action this step needs, with what it is for (shown when it is missing). */
export interface RequiredAction {
  action: string;
  purpose: string;
}

export interface Permission {
  actions: string[];
  notActions: string[];
}

export async function preflight(options: {
  session: LoginSession;
  client: MlClient;
  log: Logger;
  required: RequiredAction[];
}): Promise<Workspace> {
  const { session, client, log, required } = options;
  const { settings } = session;
  await checkLogin(session, log);
  let workspace: Workspace;
  try {
    workspace = await client.workspaces.get(settings.resourceGroup, settings.workspace);
  } catch (error) {
    const status = armErrorDetails(error).status;
    const where = `workspace '${settings.workspace}' in resource group '${settings.resourceGroup}' of subscription ${settings.subscriptionId}`;
    if (status === 404) {
      throw explainArmError(
        error,
        `reading the ${where}`,
        "Check 'workspace', 'resource-group' and 'subscription-id' (or their AZURE_* variables).",
      );
    }
    if (status === 403) {
      // ARM answers 403 (not 404) for a workspace outside the caller's role assignments, existing or not.
      throw explainArmError(
        error,
        `reading the ${where}`,
        "Either no workspace exists there (check 'workspace', 'resource-group' and 'subscription-id'), or the identity " +
          `(client ${settings.clientId ?? 'from the Azure CLI'}) has no role on it: grant 'AzureML Data Scientist' on the workspace ('Reader' to only read).`,
      );
    }
    throw explainArmError(error, `reading the ${where}`);
  }
  const permissions = await listPermissions(client, settings.cloud.armEndpoint, workspaceId(settings), log);
  if (permissions !== undefined) {
    const missing = required.filter((r) => !isAllowed(permissions, r.action));
    if (missing.length > 0) {
      const lines = missing.map((m) => `${m.action} (to ${m.purpose}; granted by ${roleFor(m.action)})`);
      throw new UserError(
        `The identity this step logs in as (client ${settings.clientId ?? 'from the Azure CLI'}) cannot do everything this step needs on ` +
          `workspace '${settings.workspace}', so nothing was changed. Missing: ${lines.join('; ')}. ` +
          'Assign the role on the workspace (or its resource group) and run again.',
      );
    }
  }
  return workspace;
}

/** The caller's permissions on a scope; undefined (with a warning) when ARM does not say. */
async function listPermissions(
  client: MlClient,
  armEndpoint: string,
  scope: string,
  log: Logger,
): Promise<Permission[] | undefined> {
  const url = `${armEndpoint}${scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`;
  try {
    const response = await client.sendRequest(createPipelineRequest({ url, method: 'GET' }));
    if (response.status !== 200 || !response.bodyAsText) {
      log.warning(
        `Could not list this identity's permissions on the workspace (HTTP ${response.status}); the pre-flight check is skipped.`,
      );
      return undefined;
    }
    const body = JSON.parse(response.bodyAsText) as { value?: Array<{ actions?: string[]; notActions?: string[] }> };
    return (body.value ?? []).map((p) => ({ actions: p.actions ?? [], notActions: p.notActions ?? [] }));
  } catch (error) {
    log.warning(
      `Could not list this identity's permissions on the workspace (${(error as Error).message}); the pre-flight check is skipped.`,
    );
    return undefined;
  }
}

/** True when some role assignment allows `action` and does not exclude it (ARM's evaluation). */
export function isAllowed(permissions: Permission[], action: string): boolean {
  return permissions.some(
    (p) =>
      p.actions.some((pattern) => actionPatternMatches(pattern, action)) &&
      !p.notActions.some((pattern) => actionPatternMatches(pattern, action)),
  );
}

/**
 * ARM's action wildcards: case-insensitive, `*` matches any characters, and a `/*\/` segment also
 * matches nothing (so `computes/*\/write` covers `computes/write`, as the AzureML roles rely on).
 */
export function actionPatternMatches(pattern: string, action: string): boolean {
  const escaped = pattern
    .toLowerCase()
    .split('*')
    .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  const source = escaped.join('.*').replace(/\/\.\*\//g, '(?:/.*/|/)');
  return new RegExp(`^${source}$`).test(action.toLowerCase());
}

/** A built-in role that grants `action` on a workspace, least privilege first. */
export function roleFor(action: string): string {
  const lower = action.toLowerCase();
  if (lower.endsWith('/read')) return "'Reader'";
  if (lower.includes('/computes/'))
    return "'AzureML Compute Operator' (or 'Contributor'; 'AzureML Data Scientist' cannot create compute)";
  if (lower.startsWith('microsoft.machinelearningservices/workspaces/'))
    return "'AzureML Data Scientist' (or 'Contributor')";
  return "'Contributor'";
}
