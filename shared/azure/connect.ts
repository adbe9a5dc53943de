// What every action does before its first change, in one call: log in, make the ARM client, read
// the workspace and check this step's permissions on it (see preflight.ts).

import type { Workspace } from '@azure/arm-machinelearning';
import type { ActionContext } from '../action/context.js';
import { createMlClient, type MlClient } from './client.js';
import { createLoginSession, type LoginSession } from './login.js';
import { preflight, type RequiredAction } from './preflight.js';
import type { AzureSettings } from './settings.js';

export interface WorkspaceConnection {
  session: LoginSession;
  client: MlClient;
  workspace: Workspace;
  settings: AzureSettings;
}

/** The login session and ARM client of a step, without the pre-flight (post steps that only clean up). */
export function openClient(
  context: ActionContext,
  settings: AzureSettings,
): Pick<WorkspaceConnection, 'session' | 'client'> {
  const canRequestIdToken = Boolean(
    context.inputs.env('ACTIONS_ID_TOKEN_REQUEST_URL') && context.inputs.env('ACTIONS_ID_TOKEN_REQUEST_TOKEN'),
  );
  const session = createLoginSession(settings, {
    log: context.log,
    requestIdToken: context.requestIdToken,
    canRequestIdToken,
  });
  return { session, client: createMlClient(settings, session.credential) };
}

export async function connectToWorkspace(
  context: ActionContext,
  settings: AzureSettings,
  required: RequiredAction[],
): Promise<WorkspaceConnection> {
  const { session, client } = openClient(context, settings);
  const workspace = await context.log.group(`Log in and check access to workspace ${settings.workspace}`, () =>
    preflight({ session, client, log: context.log, required }),
  );
  return { session, client, workspace, settings };
}
