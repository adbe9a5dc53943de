// action-deploy: parse the inputs, then deploy (online.ts), or in dry-run show the plan: endpoint,
// deployment, traffic and gate.
// The work itself (online.ts, remove.ts: the Azure SDK; local.ts: the scoring server and the smoke
// engine) is imported only when it runs, so a dry run or an input error never evaluates the SDK,
// and target local never loads it at all (ncc emits each as a chunk next to index.js).

import type { ActionContext } from '../../shared/action/context.js';
import { reportPlan, type Plan } from '../../shared/action/plan.js';
import { deriveDeploymentName } from '../../shared/azure/ids.js';
import { runAction } from '../../shared/github/adapter.js';
import { InputReader } from '../../shared/inputs/reader.js';
import { readDeployInputs, type DeployInputs, type ModelReference } from './inputs.js';
import type { LOCAL_SERVER_VARIABLE as LocalServerVariable } from './local.js';

/** local.ts's variable, repeated so that reading it loads nothing; its type makes tsc fail if they differ. */
const LOCAL_SERVER_VARIABLE: typeof LocalServerVariable = 'AZUREML_ACTIONS_LOCAL_SERVER';

export async function main(): Promise<void> {
  // target: local starts this same bundle again as a detached scoring server (local.ts).
  const serverSpec = process.env[LOCAL_SERVER_VARIABLE];
  if (serverSpec) return (await import('./local.js')).serveLocally(serverSpec);
  await runAction('action-deploy', deploy, async (context) =>
    (await import('./local.js')).stopLocalServerFromState(context),
  );
}

export async function deploy(context: ActionContext): Promise<void> {
  const inputs = readDeployInputs(new InputReader(context.inputs, '', (secret) => context.log.setSecret(secret)));
  if (inputs.operation === 'serve-local' ? inputs.dryRun : inputs.common.dryRun) {
    reportPlan(context, planDeployment(inputs));
    return;
  }
  if (inputs.operation === 'serve-local') await (await import('./local.js')).deployLocal(context, inputs);
  else if (inputs.operation === 'deploy' && inputs.target === 'local')
    await (await import('./local.js')).serveRegisteredModel(context, inputs);
  else if (inputs.operation === 'deploy') await (await import('./online.js')).deployToEndpoint(context, inputs);
  else await (await import('./remove.js')).removeFromEndpoint(context, inputs);
}

function describeModel(model: ModelReference): string {
  switch (model.kind) {
    case 'version':
      return `azureml:${model.name}:${model.version}`;
    case 'latest':
      return `azureml:${model.name}@latest`;
    case 'previous':
      return `${model.name ?? 'the model'} of the release before the current one`;
    case 'local':
      return model.path;
  }
}

export function planDeployment(inputs: DeployInputs): Plan {
  if (inputs.operation === 'serve-local') {
    const d = inputs.deploy;
    const steps: Plan['steps'] = [
      {
        verb: 'run',
        target: 'local scoring server',
        detail: d.localKeepAlive ? 'kept running for later steps' : 'stopped after the smoke test',
      },
    ];
    if (d.smokeTest) steps.push({ verb: 'test', target: 'local scoring server', detail: 'smoke test gate' });
    return {
      action: 'action-deploy',
      settings: [
        ['target', 'local (no Azure login needed)'],
        ['model', describeModel(d.model)],
      ],
      steps,
      outputs: { 'endpoint-name': inputs.endpoint, target: 'local', 'auth-mode': 'key', 'deployment-name': 'local' },
    };
  }
  const { common, endpoint, target } = inputs;
  const settings: Array<[string, string]> = [
    ['workspace', `${common.azure.subscriptionId}/${common.azure.resourceGroup}/${common.azure.workspace}`],
    ['login', common.azure.authType + (common.azure.authTypeWasAuto ? ' (auto)' : '')],
    ['endpoint', endpoint],
    ['target', target],
  ];
  const outputs: Record<string, string> = { 'endpoint-name': endpoint };
  const endpointPath = `onlineEndpoints/${endpoint}`;
  if (inputs.operation === 'delete-endpoint') {
    return {
      action: 'action-deploy',
      settings,
      outputs,
      steps: [{ verb: 'delete', target: endpointPath, detail: 'with all its deployments' }],
    };
  }
  if (inputs.operation === 'delete-deployment') {
    return {
      action: 'action-deploy',
      settings,
      outputs,
      steps: [
        { verb: 'update', target: endpointPath, detail: `move traffic away from ${inputs.deployment}` },
        { verb: 'delete', target: `${endpointPath}/deployments/${inputs.deployment}` },
      ],
    };
  }
  const d = inputs.deploy;
  const deployment =
    d.deployment ?? (d.model.kind === 'version' ? deriveDeploymentName(d.model.name, d.model.version) : undefined);
  settings.push(
    ['model', describeModel(d.model)],
    ['deployment', deployment ?? '(derived from the resolved model version)'],
    ['auth mode', d.authMode],
    ['strategy', d.strategy === 'canary' ? `canary ${d.trafficSteps.join('% → ')}%` : d.strategy],
    [
      'smoke test',
      d.smokeTest
        ? `${d.smokeTest.load.mode === 'requests' ? `${d.smokeTest.load.requests} requests` : `${d.smokeTest.load.durationMs} ms at ${d.smokeTest.load.rate}/s`}`
        : 'none (the release is not gated)',
    ],
  );
  if (d.compute) settings.push(['compute', d.compute]);
  if (deployment) outputs['deployment-name'] = deployment;
  if (target !== 'auto') outputs.target = target;
  outputs['auth-mode'] = d.authMode;

  if (target === 'local') {
    const steps: Plan['steps'] = [];
    if (d.model.kind !== 'local')
      steps.push({ verb: 'read', target: 'models', detail: `download ${describeModel(d.model)}` });
    steps.push({
      verb: 'run',
      target: 'local scoring server',
      detail: d.localKeepAlive ? 'kept running for later steps' : 'stopped after the smoke test',
    });
    if (d.smokeTest) steps.push({ verb: 'test', target: 'local scoring server', detail: 'smoke test gate' });
    return { action: 'action-deploy', settings, outputs, steps };
  }
  const steps: Plan['steps'] = [
    { verb: 'read', target: `workspaces/${common.azure.workspace}` },
    { verb: 'read', target: 'models', detail: `resolve ${describeModel(d.model)}` },
  ];
  if (target === 'aks' || (target === 'auto' && d.compute)) {
    steps.push({ verb: 'read', target: `computes/${d.compute}`, detail: 'must be an attached Kubernetes compute' });
  }
  steps.push({ verb: 'create or update', target: endpointPath, detail: `auth mode ${d.authMode}` });
  const deploymentPath = `${endpointPath}/deployments/${deployment ?? '<derived>'}`;
  if (d.strategy === 'replace') {
    steps.push({ verb: 'create or update', target: deploymentPath, detail: 'then 100 % traffic' });
    if (d.smokeTest) steps.push({ verb: 'test', target: deploymentPath, detail: 'smoke test gate' });
  } else {
    steps.push({ verb: 'create', target: deploymentPath, detail: '0 % traffic' });
    for (const percent of d.trafficSteps) {
      if (d.smokeTest)
        steps.push({
          verb: 'test',
          target: deploymentPath,
          detail: 'smoke test gate (azureml-model-deployment header)',
        });
      steps.push({ verb: 'update', target: endpointPath, detail: `traffic ${percent} % to the new deployment` });
    }
    if (!d.keepPrevious)
      steps.push({
        verb: 'delete',
        target: `${endpointPath}/deployments/<previous>`,
        detail: 'once the new one takes 100 %',
      });
  }
  return { action: 'action-deploy', settings, outputs, steps };
}
