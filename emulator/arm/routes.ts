// The ARM routing table: one entry per resource type file. To add a resource type, write
// `emulator/arm/<type>.ts` exporting its ArmRoute[] and add it here.
import type { ArmRoute } from './router.js';
import { operationRoutes } from './lro.js';
import { permissionRoutes } from './permissions.js';
import { subscriptionRoutes } from './subscriptions.js';
import { workspaceRoutes } from './workspaces.js';
import { modelRoutes } from './models.js';
import { dataRoutes } from './data.js';
import { environmentRoutes } from './environments.js';
import { codeRoutes } from './codes.js';
import { componentRoutes } from './components.js';
import { computeRoutes } from './computes.js';
import { onlineEndpointRoutes } from './onlineEndpoints.js';
import { onlineDeploymentRoutes } from './onlineDeployments.js';
import { jobRoutes } from './jobs.js';
import { scheduleRoutes } from './schedules.js';

export const armRoutes: ArmRoute[] = [
  ...operationRoutes,
  ...permissionRoutes,
  ...subscriptionRoutes,
  ...workspaceRoutes,
  ...modelRoutes,
  ...dataRoutes,
  ...environmentRoutes,
  ...codeRoutes,
  ...componentRoutes,
  ...computeRoutes,
  ...onlineEndpointRoutes,
  ...onlineDeploymentRoutes,
  ...jobRoutes,
  ...scheduleRoutes,
];
