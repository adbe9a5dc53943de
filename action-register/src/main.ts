// action-register: parse the inputs, then register the asset (register.ts), or in dry-run show the plan.
// register.ts brings the Azure SDK (identity/MSAL, arm-machinelearning, storage-blob): it is imported
// only once the inputs are valid and the run is real, so a dry run or an input error never pays for
// evaluating it (ncc emits it as a separate chunk next to index.js).

import type { ActionContext } from '../../shared/action/context.js';
import { reportPlan, type Plan } from '../../shared/action/plan.js';
import { assetReference, workspaceResourceId } from '../../shared/azure/ids.js';
import { runAction } from '../../shared/github/adapter.js';
import { InputReader } from '../../shared/inputs/reader.js';
import { readRegisterInputs, uploads, type RegisterInputs } from './inputs.js';

export async function main(): Promise<void> {
  await runAction('action-register', register);
}

export async function register(context: ActionContext): Promise<void> {
  const inputs = readRegisterInputs(new InputReader(context.inputs, '', (secret) => context.log.setSecret(secret)));
  if (inputs.common.dryRun) {
    reportPlan(context, planRegistration(inputs));
    return;
  }
  const { registerAsset } = await import('./register.js');
  await registerAsset(context, inputs);
}

export function planRegistration({ common, asset }: RegisterInputs): Plan {
  const collection = asset.kind === 'model' ? 'models' : asset.kind === 'data' ? 'data' : 'environments';
  const version = asset.version === 'auto' ? '<next>' : asset.version;
  const settings: Array<[string, string]> = [
    ['workspace', `${common.azure.subscriptionId}/${common.azure.resourceGroup}/${common.azure.workspace}`],
    ['login', common.azure.authType + (common.azure.authTypeWasAuto ? ' (auto)' : '')],
    ['kind', asset.kind],
    ['name', asset.name],
    ['version', asset.version],
    ['dedupe', String(asset.dedupe)],
    ['lineage tags', String(asset.lineageTags)],
  ];
  if (uploads(asset)) settings.push(['datastore', asset.datastore]);
  const steps: Plan['steps'] = [{ verb: 'read', target: `workspaces/${common.azure.workspace}` }];
  steps.push({
    verb: 'read',
    target: `${collection}/${asset.name}`,
    detail: 'latest version, for auto versioning and dedupe',
  });
  if (asset.kind === 'model') {
    settings.push(
      ['path', asset.source.path],
      ['model type', asset.modelType + (asset.modelTypeDetected ? ' (detected)' : '')],
    );
    steps.push({
      verb: 'upload',
      target: `datastores/${asset.datastore}`,
      detail: 'only files not already stored (content-addressed)',
    });
  } else if (asset.kind === 'data') {
    settings.push(
      ['source', asset.source.kind === 'uri' ? asset.source.uri : asset.source.path],
      ['data type', asset.dataType + (asset.dataTypeInferred ? ' (inferred)' : '')],
    );
    if (asset.source.kind === 'local') {
      steps.push({
        verb: 'upload',
        target: `datastores/${asset.datastore}`,
        detail: 'only files not already stored (content-addressed)',
      });
    }
  } else {
    if (asset.image) settings.push(['image', asset.image]);
    if (asset.condaFile) settings.push(['conda file', asset.condaFile]);
    if (asset.buildContext) {
      settings.push(['build context', asset.buildContext]);
      steps.push({ verb: 'upload', target: `datastores/${asset.datastore}`, detail: 'the build context' });
    }
  }
  steps.push({
    verb: 'create',
    target: `${collection}/${asset.name}/versions/${version}`,
    detail: asset.dedupe ? 'skipped when an existing version has the same content' : undefined,
  });
  const outputs: Record<string, string> = { name: asset.name };
  if (asset.version !== 'auto') {
    Object.assign(outputs, {
      version: asset.version,
      'asset-id': assetReference(asset.name, asset.version),
      'arm-id': workspaceResourceId(common.azure, `${collection}/${asset.name}/versions/${asset.version}`),
    });
  }
  return { action: 'action-register', settings, steps, outputs };
}
