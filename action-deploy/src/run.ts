// One deployment run of action-deploy: the step's context, its workspace connection and request,
// passed as one object to every part of a release (model, deployment, endpoint, rollout, report).

import type { ActionContext } from '../../shared/action/context.js';
import type { WorkspaceConnection } from '../../shared/azure/connect.js';
import type { Logger } from '../../shared/logger.js';
import type { DeployInputs, DeploySettings } from './inputs.js';

export type DeployRequest = Extract<DeployInputs, { operation: 'deploy' }>;

export const ML = 'Microsoft.MachineLearningServices/workspaces';

export interface DeployRun {
  readonly context: ActionContext;
  readonly log: Logger;
  readonly connection: WorkspaceConnection;
  readonly request: DeployRequest;
  /** The endpoint's name (request.endpoint). */
  readonly endpoint: string;
  /** What to deploy and how (request.deploy). */
  readonly deploy: DeploySettings;
}

export function deployRun(context: ActionContext, connection: WorkspaceConnection, request: DeployRequest): DeployRun {
  return { context, log: context.log, connection, request, endpoint: request.endpoint, deploy: request.deploy };
}
