// Microsoft.Authorization/permissions: the caller's allowed actions at a scope (one entry per role
// assignment that applies), as ARM's "Permissions - List For Resource(Group)" answers. Any
// authenticated caller may list its own permissions.
import { json } from '../http.js';
import { rolesAt } from '../rbac.js';
import { authorizationApiVersions } from './apiVersions.js';
import { WS, type ArmRoute, type ArmCall } from './router.js';

function list(call: ArmCall): ReturnType<typeof json> {
  const scope = call.req.path.replace(/\/providers\/Microsoft\.Authorization\/permissions$/i, '');
  const value = rolesAt(call.ctx, call.principal.objectId, scope).map((r) => ({
    actions: r.actions,
    notActions: r.notActions,
    dataActions: r.dataActions,
    notDataActions: r.notDataActions,
  }));
  return json(200, { value });
}

export const permissionRoutes: ArmRoute[] = [
  {
    method: 'GET',
    path: `${WS}/providers/Microsoft.Authorization/permissions`,
    action: 'Microsoft.Authorization/permissions/read',
    operationId: 'Permissions_ListForResource',
    apiVersions: authorizationApiVersions,
    noRbac: true,
    handler: list,
  },
  {
    method: 'GET',
    path: '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Authorization/permissions',
    action: 'Microsoft.Authorization/permissions/read',
    operationId: 'Permissions_ListForResourceGroup',
    apiVersions: authorizationApiVersions,
    noRbac: true,
    handler: list,
  },
];
