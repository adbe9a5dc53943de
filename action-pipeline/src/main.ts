// action-pipeline: parse the inputs (job file, publish, schedule, compute), then (in dry-run) show the
// plan. Submitting jobs lands with login and the emulator; until then a real run fails and says so.
// The same bundle runs as the post step, which will cancel a job left running by a cancelled workflow.

import type { ActionContext } from '../../shared/action/context.js';
import { notBuiltYet } from '../../shared/action/notBuilt.js';
import { reportPlan, type Plan } from '../../shared/action/plan.js';
import { formatDuration } from '../../shared/inputs/duration.js';
import { runAction } from '../../shared/github/adapter.js';
import { InputReader } from '../../shared/inputs/reader.js';
import { readPipelineInputs, type PipelineInputs } from './inputs.js';

export async function main(): Promise<void> {
  await runAction('action-pipeline', pipeline, cancelLeftoverJob);
}

export async function pipeline(context: ActionContext): Promise<void> {
  const inputs = readPipelineInputs(new InputReader(context.inputs, '', (secret) => context.log.setSecret(secret)));
  if (inputs.common.dryRun) {
    reportPlan(context, planPipeline(inputs));
    return;
  }
  throw notBuiltYet('action-pipeline', 'submitting jobs and creating compute');
}

/** Post step: cancels the job this step submitted when it is still running (workflow cancelled). */
export async function cancelLeftoverJob(context: ActionContext): Promise<void> {
  const runId = context.state.get('run-id');
  if (runId === '' || context.state.get('finished') === 'true') return;
  context.log.warning(
    `The job ${runId} submitted by this step may still be running; cancelling jobs is not built yet.`,
  );
}

export function planPipeline(inputs: PipelineInputs): Plan {
  const { common } = inputs;
  const settings: Array<[string, string]> = [
    ['workspace', `${common.azure.subscriptionId}/${common.azure.resourceGroup}/${common.azure.workspace}`],
    ['login', common.azure.authType + (common.azure.authTypeWasAuto ? ' (auto)' : '')],
    ['job', inputs.job ?? '(none)'],
    ['experiment', inputs.experiment],
  ];
  if (inputs.overrides.length > 0)
    settings.push(['set', inputs.overrides.map((o) => `${o.path}=${o.value}`).join('; ')]);
  const steps: Plan['steps'] = [{ verb: 'read', target: `workspaces/${common.azure.workspace}` }];
  if (inputs.compute?.create) {
    const c = inputs.compute;
    steps.push({
      verb: 'create or update',
      target: `computes/${c.name}`,
      detail: `AmlCompute ${c.vmSize}, ${c.minNodes}-${c.maxNodes} nodes, ${c.tier}, scale down after ${formatDuration(c.idleTimeBeforeScaleDownMs)} idle`,
    });
  }
  if (inputs.job)
    steps.push({
      verb: 'upload',
      target: 'datastores/workspaceblobstore',
      detail: "local 'code:' folders (content-addressed)",
    });
  if (inputs.publish) {
    steps.push({
      verb: 'create',
      target: `components/${inputs.publish.componentName ?? '<from the job file>'}/versions/${inputs.publish.componentVersion === 'auto' ? '<next>' : inputs.publish.componentVersion}`,
      detail: 'the pipeline as a versioned pipeline component',
    });
  }
  if (inputs.schedule) {
    steps.push({
      verb: 'create or update',
      target: `schedules/${inputs.schedule.name ?? '<derived>'}`,
      detail: `cron '${inputs.schedule.cron}' in ${inputs.schedule.timeZone}`,
    });
  }
  if (inputs.run) {
    steps.push({
      verb: 'submit',
      target: 'jobs/<generated name>',
      detail: inputs.displayName ?? 'display name includes the commit',
    });
    if (inputs.wait) {
      steps.push({
        verb: 'read',
        target: 'jobs/<generated name>',
        detail: `wait up to ${formatDuration(inputs.timeoutMs)}${inputs.cancelOnTimeout ? ', then cancel' : ''}`,
      });
    }
  }
  const outputs: Record<string, string> = {};
  if (inputs.publish && inputs.publish.componentName && inputs.publish.componentVersion !== 'auto') {
    outputs['component-version'] = inputs.publish.componentVersion;
    outputs['component-id'] = `azureml:${inputs.publish.componentName}:${inputs.publish.componentVersion}`;
  }
  return { action: 'action-pipeline', settings, steps, outputs };
}
