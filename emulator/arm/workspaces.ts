// The seeded workspace (GET only: workspaces are created outside this suite) and its datastores:
// `workspaceblobstore` (AzureBlob with an account key, on Azurite) and `workspaceidentitystore`
// (credential-less, on an account of its own that accepts only Entra tokens: see storage.ts).
import { createHash } from 'node:crypto';
import type { EmulatorContext } from '../context.js';
import { ArmError, json, isRecord } from '../http.js';
import { devAccount, devAccountKey, identityAccount } from '../azurite.js';
import { ML, WS, type ArmRoute } from './router.js';
import { isAllowed } from '../rbac.js';
import { getResource, listChildren, mlNotFound, page, putResource, view } from './store.js';

function guidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function workspaceGuid(ctx: EmulatorContext): string {
  return guidFrom(`workspace:${ctx.workspaceId.toLowerCase()}`);
}

export function blobContainerName(ctx: EmulatorContext): string {
  ctx.settings.blobContainer ??= `azureml-blobstore-${workspaceGuid(ctx)}`;
  return ctx.settings.blobContainer;
}

export function seedWorkspace(ctx: EmulatorContext): void {
  const s = ctx.settings;
  const rgId = `/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroup}`;
  const short = s.workspace
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 10);
  const wsGuid = workspaceGuid(ctx);
  putResource(
    ctx,
    ctx.workspaceId,
    {
      id: ctx.workspaceId,
      name: s.workspace,
      type: `${ML}/workspaces`,
      location: s.location,
      tags: {},
      identity: { type: 'SystemAssigned', principalId: guidFrom(`wsidentity:${wsGuid}`), tenantId: s.tenantId },
      sku: { name: 'Basic', tier: 'Basic' },
      properties: {
        workspaceId: wsGuid,
        friendlyName: s.workspace,
        description: 'Workspace served by the azureml-actions emulator',
        keyVault: `${rgId}/providers/Microsoft.KeyVault/vaults/kv${short}`,
        applicationInsights: `${rgId}/providers/Microsoft.insights/components/ai${short}`,
        containerRegistry: `${rgId}/providers/Microsoft.ContainerRegistry/registries/cr${short}`,
        storageAccount: `${rgId}/providers/Microsoft.Storage/storageAccounts/${devAccount}`,
        discoveryUrl: `${ctx.baseUrl}/discovery`,
        mlFlowTrackingUri: `azureml://${ctx.baseUrl.replace(/^https:\/\//, '')}/mlflow/v1.0${ctx.workspaceId}`,
        provisioningState: 'Succeeded',
        hbiWorkspace: false,
        privateLinkCount: 0,
        allowPublicAccessWhenBehindVnet: false,
        publicNetworkAccess: 'Enabled',
        tenantId: s.tenantId,
        storageHnsEnabled: false,
        v1LegacyMode: false,
      },
    },
    'emulator',
  );
  const container = blobContainerName(ctx);
  for (const [name, credentials, isDefault, accountName] of [
    ['workspaceblobstore', { credentialsType: 'AccountKey' }, true, devAccount],
    ['workspaceidentitystore', { credentialsType: 'None' }, false, identityAccount],
  ] as const) {
    putResource(
      ctx,
      `${ctx.workspaceId}/datastores/${name}`,
      {
        id: `${ctx.workspaceId}/datastores/${name}`,
        name,
        type: `${ML}/workspaces/datastores`,
        properties: {
          description:
            name === 'workspaceblobstore' ? 'Default blob datastore (account key)' : 'Identity-based blob datastore',
          tags: {},
          properties: {},
          isDefault,
          credentials,
          datastoreType: 'AzureBlob',
          accountName,
          containerName: container,
          endpoint: 'core.windows.net',
          protocol: 'https',
          serviceDataAccessAuthIdentity: 'None',
        },
      },
      'emulator',
    );
  }
}

function workspaceOf(call: { ctx: EmulatorContext; params: Record<string, string> }): void {
  if (
    !getResource(call.ctx, call.ctx.workspaceId) ||
    call.params.workspaceName?.toLowerCase() !== call.ctx.settings.workspace.toLowerCase()
  ) {
    throw new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${ML}/workspaces/${call.params.workspaceName ?? ''}' under resource group '${call.ctx.settings.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  }
}

/** Every route below the workspace calls this first: 404 for a workspace that does not exist. */
export const requireWorkspace = workspaceOf;

const RG = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}';

export const workspaceRoutes: ArmRoute[] = [
  {
    method: 'GET',
    path: WS,
    action: `${ML}/workspaces/read`,
    operationId: 'Workspaces_Get',
    handler: (call) => {
      workspaceOf(call);
      return json(200, view(getResource(call.ctx, call.ctx.workspaceId)!));
    },
  },
  {
    method: 'GET',
    path: `${RG}/providers/${ML}/workspaces`,
    action: `${ML}/workspaces/read`,
    operationId: 'Workspaces_ListByResourceGroup',
    // ARM lists what the caller may read: no 403 for the group, workspaces filtered by RBAC.
    noRbac: true,
    handler: (call) => {
      const visible = isAllowed(call.ctx, call.principal.objectId, `${ML}/workspaces/read`, call.ctx.workspaceId);
      return json(200, { value: visible ? [view(getResource(call.ctx, call.ctx.workspaceId)!)] : [] });
    },
  },
  {
    method: 'GET',
    path: `/subscriptions/{subscriptionId}/providers/${ML}/workspaces`,
    action: `${ML}/workspaces/read`,
    operationId: 'Workspaces_ListBySubscription',
    // As above, for the subscription.
    noRbac: true,
    handler: (call) => {
      const visible = isAllowed(call.ctx, call.principal.objectId, `${ML}/workspaces/read`, call.ctx.workspaceId);
      return json(200, { value: visible ? [view(getResource(call.ctx, call.ctx.workspaceId)!)] : [] });
    },
  },
  {
    method: 'GET',
    path: `${WS}/datastores`,
    action: `${ML}/workspaces/datastores/read`,
    operationId: 'Datastores_List',
    handler: (call) => {
      workspaceOf(call);
      const items = listChildren(call.ctx, call.ctx.workspaceId, 'datastores').map(view);
      const isDefault = call.req.query.get('isDefault');
      const filtered =
        isDefault === null
          ? items
          : items.filter((d) => isRecord(d.properties) && String(d.properties.isDefault) === isDefault);
      return json(200, page(filtered, call.req.query, call.url));
    },
  },
  {
    method: 'GET',
    path: `${WS}/datastores/{name}`,
    action: `${ML}/workspaces/datastores/read`,
    operationId: 'Datastores_Get',
    handler: (call) => {
      workspaceOf(call);
      const r = getResource(call.ctx, `${call.ctx.workspaceId}/datastores/${call.params.name ?? ''}`);
      if (!r) throw mlNotFound('Datastore', call.params.name ?? '');
      return json(200, view(r));
    },
  },
  {
    method: 'POST',
    path: `${WS}/datastores/{name}/listSecrets`,
    action: `${ML}/workspaces/datastores/listsecrets/action`,
    operationId: 'Datastores_ListSecrets',
    handler: (call) => {
      workspaceOf(call);
      const r = getResource(call.ctx, `${call.ctx.workspaceId}/datastores/${call.params.name ?? ''}`);
      if (!r) throw mlNotFound('Datastore', call.params.name ?? '');
      const props = r.body.properties as Record<string, unknown>;
      const creds = props.credentials as Record<string, unknown>;
      if (creds.credentialsType !== 'AccountKey') {
        throw new ArmError(
          400,
          'UserError',
          `Datastore '${call.params.name ?? ''}' has no secrets: its credentials type is '${String(creds.credentialsType)}'.`,
        );
      }
      call.ctx.issueSecret('storage account key', devAccountKey);
      return json(200, { secretsType: 'AccountKey', key: devAccountKey });
    },
  },
];
