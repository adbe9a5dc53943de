// Azure RBAC for the emulator: built-in role definitions (action lists as Azure publishes them) and
// the check "does this principal have action A at scope S", via role assignments at S or above.
import type { EmulatorContext } from './context.js';

export interface RoleDefinition {
  id: string;
  name: string;
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export const builtInRoles: RoleDefinition[] = [
  {
    id: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
    name: 'Owner',
    actions: ['*'],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
  {
    id: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
    name: 'Contributor',
    actions: ['*'],
    notActions: [
      'Microsoft.Authorization/*/Delete',
      'Microsoft.Authorization/*/Write',
      'Microsoft.Authorization/elevateAccess/Action',
      'Microsoft.Blueprint/blueprintAssignments/write',
      'Microsoft.Blueprint/blueprintAssignments/delete',
      'Microsoft.Compute/galleries/share/action',
      'Microsoft.Purview/consents/write',
      'Microsoft.Purview/consents/delete',
    ],
    dataActions: [],
    notDataActions: [],
  },
  {
    id: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
    name: 'Reader',
    actions: ['*/read'],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
  {
    id: 'f6c7c914-8db3-469d-8ca1-694a8f32e121',
    name: 'AzureML Data Scientist',
    actions: [
      'Microsoft.MachineLearningServices/workspaces/*/read',
      'Microsoft.MachineLearningServices/workspaces/*/action',
      'Microsoft.MachineLearningServices/workspaces/*/delete',
      'Microsoft.MachineLearningServices/workspaces/*/write',
    ],
    notActions: [
      'Microsoft.MachineLearningServices/workspaces/delete',
      'Microsoft.MachineLearningServices/workspaces/write',
      'Microsoft.MachineLearningServices/workspaces/computes/*/write',
      'Microsoft.MachineLearningServices/workspaces/computes/*/delete',
      'Microsoft.Authorization/*/write',
      'Microsoft.MachineLearningServices/workspaces/listKeys/action',
      'Microsoft.MachineLearningServices/workspaces/hubs/write',
      'Microsoft.MachineLearningServices/workspaces/hubs/delete',
      'Microsoft.MachineLearningServices/workspaces/featurestores/write',
      'Microsoft.MachineLearningServices/workspaces/featurestores/delete',
    ],
    dataActions: [],
    notDataActions: [],
  },
  {
    id: 'e503ece1-11d0-4e8e-8e2c-7a6c3bf38815',
    name: 'AzureML Compute Operator',
    actions: [
      'Microsoft.Authorization/*/read',
      'Microsoft.MachineLearningServices/workspaces/computes/*',
      'Microsoft.MachineLearningServices/workspaces/notebooks/vm/*',
    ],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
  {
    id: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
    name: 'Storage Blob Data Contributor',
    actions: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/delete',
      'Microsoft.Storage/storageAccounts/blobServices/containers/read',
      'Microsoft.Storage/storageAccounts/blobServices/containers/write',
      'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
    ],
    notActions: [],
    dataActions: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action',
    ],
    notDataActions: [],
  },
  {
    id: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
    name: 'Storage Blob Data Reader',
    actions: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/read',
      'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
    ],
    notActions: [],
    dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'],
    notDataActions: [],
  },
  {
    id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    name: 'Storage Blob Data Owner',
    actions: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/*',
      'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
    ],
    notActions: [],
    dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*'],
    notDataActions: [],
  },
];

export function findRole(nameOrId: string): RoleDefinition | undefined {
  const key = nameOrId.toLowerCase().replace(/^.*\/roledefinitions\//, '');
  return builtInRoles.find((r) => r.name.toLowerCase() === key || r.id === key);
}

/**
 * Azure's wildcard match of an action pattern (case-insensitive; `*` matches any characters). A
 * `/*\/` in the middle also matches a single `/`, so `workspaces/*\/read` covers `workspaces/read` and
 * `computes/*\/write` covers `computes/write` (how the AzureML built-in roles behave).
 */
export function actionMatches(pattern: string, action: string): boolean {
  const parts = pattern.toLowerCase().split('/*/');
  const re = parts
    .map((p) =>
      p
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*'),
    )
    .join('(?:/.*/|/)');
  return new RegExp(`^${re}$`).test(action.toLowerCase());
}

export function roleAllows(role: RoleDefinition, action: string): boolean {
  return role.actions.some((a) => actionMatches(a, action)) && !role.notActions.some((a) => actionMatches(a, action));
}

/** True when `scope` is `assignmentScope` or lies below it (ARM ids are case-insensitive). */
export function scopeCovers(assignmentScope: string, scope: string): boolean {
  const a = assignmentScope.toLowerCase().replace(/\/+$/, '');
  const s = scope.toLowerCase().replace(/\/+$/, '');
  return a === '' || s === a || s.startsWith(`${a}/`);
}

/** Role definitions that apply to the principal at `scope`. */
export function rolesAt(ctx: EmulatorContext, principalObjectId: string, scope: string): RoleDefinition[] {
  const out: RoleDefinition[] = [];
  for (const ra of ctx.roleAssignments) {
    if (ra.principalId !== principalObjectId || !scopeCovers(ra.scope, scope)) continue;
    const role = findRole(ra.roleName);
    if (role) out.push(role);
  }
  return out;
}

export function isAllowed(ctx: EmulatorContext, principalObjectId: string, action: string, scope: string): boolean {
  return rolesAt(ctx, principalObjectId, scope).some((r) => roleAllows(r, action));
}

/** Data actions (blob reads and writes) come only from a role's dataActions: Owner and Contributor grant none. */
export function isDataActionAllowed(
  ctx: EmulatorContext,
  principalObjectId: string,
  dataAction: string,
  scope: string,
): boolean {
  return rolesAt(ctx, principalObjectId, scope).some(
    (r) =>
      r.dataActions.some((a) => actionMatches(a, dataAction)) &&
      !r.notDataActions.some((a) => actionMatches(a, dataAction)),
  );
}

/** Built-in roles that grant `action`, least powerful first (for messages). */
export function rolesGranting(action: string): string[] {
  const order = ['Reader', 'AzureML Compute Operator', 'AzureML Data Scientist', 'Contributor', 'Owner'];
  return order.filter((n) => {
    const r = findRole(n);
    return r !== undefined && roleAllows(r, action);
  });
}
