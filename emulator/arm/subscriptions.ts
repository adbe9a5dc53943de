// Microsoft.Resources subscriptions (list and get), what `az login` reads after getting its token to
// pick the account: ARM lists the subscriptions where the caller holds any role assignment.
import { ArmError, json } from '../http.js';
import { scopeCovers } from '../rbac.js';
import type { ArmCall, ArmRoute } from './router.js';

/** api-versions of the subscriptions API (azure-cli 2.45 sends 2019-11-01). */
const subscriptionApiVersions = ['2016-06-01', '2019-11-01', '2020-01-01', '2021-01-01', '2022-12-01'];

function subscription(call: ArmCall): Record<string, unknown> {
  const s = call.ctx.settings;
  return {
    id: `/subscriptions/${s.subscriptionId}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: s.subscriptionId,
    tenantId: s.tenantId,
    displayName: 'Azure ML emulator',
    state: 'Enabled',
    subscriptionPolicies: {
      locationPlacementId: 'Public_2014-09-01',
      quotaId: 'PayAsYouGo_2014-09-01',
      spendingLimit: 'Off',
    },
  };
}

/** True when the caller has a role assignment in the subscription (at it or anywhere below). */
function canSee(call: ArmCall): boolean {
  const id = `/subscriptions/${call.ctx.settings.subscriptionId}`;
  return call.ctx.roleAssignments.some(
    (a) => a.principalId === call.principal.objectId && (scopeCovers(id, a.scope) || scopeCovers(a.scope, id)),
  );
}

export const subscriptionRoutes: ArmRoute[] = [
  {
    method: 'GET',
    path: '/subscriptions',
    action: 'Microsoft.Resources/subscriptions/read',
    operationId: 'Subscriptions_List',
    apiVersions: subscriptionApiVersions,
    noRbac: true,
    handler: (call) => json(200, { value: canSee(call) ? [subscription(call)] : [] }),
  },
  {
    method: 'GET',
    path: '/subscriptions/{subscriptionId}',
    action: 'Microsoft.Resources/subscriptions/read',
    operationId: 'Subscriptions_Get',
    apiVersions: subscriptionApiVersions,
    noRbac: true,
    handler: (call) => {
      if (!canSee(call)) {
        throw new ArmError(
          403,
          'AuthorizationFailed',
          `The client '${call.principal.appId}' with object id '${call.principal.objectId}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/read' over scope '/subscriptions/${call.ctx.settings.subscriptionId}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
        );
      }
      return json(200, subscription(call));
    },
  },
];
