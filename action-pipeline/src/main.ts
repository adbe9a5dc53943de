// action-pipeline: parse the inputs and the job file (every problem reported with file:line:column
// before any request), then in dry-run show the plan, else do the work in run.ts, loaded lazily so
// bad input and dry runs never pay for the Azure SDK. The same bundle runs as the post step, which
// cancels the job this step was waiting for when the workflow is cancelled.

import type { ActionContext } from '../../shared/action/context.js';
import { reportPlan, type Plan } from '../../shared/action/plan.js';
import { ANONYMOUS_ENVIRONMENT_NAME } from '../../shared/azure/anonymousEnvironment.js';
import { formatDuration } from '../../shared/inputs/duration.js';
import { runAction } from '../../shared/github/adapter.js';
import { InputReader } from '../../shared/inputs/reader.js';
import { readPipelineInputs, type PipelineInputs } from './inputs.js';
import {
  describeInlineEnvironment,
  inlineEnvironmentsOf,
  loadJobFile,
  SETTINGS_KEYS,
  type JobDefinition,
} from './jobFile.js';
import { JobFileError } from './yamlSource.js';
import { UserError } from '../../shared/errors.js';

export async function main(): Promise<void> {
  await runAction('action-pipeline', pipeline, cancelLeftoverJob);
}

function readInputs(context: ActionContext): PipelineInputs {
  return readPipelineInputs(new InputReader(context.inputs, '', (secret) => context.log.setSecret(secret)));
}

export async function pipeline(context: ActionContext): Promise<void> {
  const inputs = readInputs(context);
  const job = inputs.job === undefined ? undefined : readJob(context, inputs, inputs.job);
  // Sent as azure-ai-ml sends them, but said, so a misspelt setting does not go unnoticed.
  if (job?.type === 'pipeline')
    for (const extra of job.extraSettings)
      context.log.warning(
        `'settings' has a field azure-ai-ml does not know, '${extra.key}'${extra.suggestion ? ` (did you mean '${extra.suggestion}'?)` : ''}; it is sent as written (as azure-ai-ml sends it) and sets none of ${SETTINGS_KEYS.join(', ')}.`,
        extra.location,
      );
  if (inputs.common.dryRun) {
    reportPlan(context, planPipeline(inputs, job));
    return;
  }
  const { runPipeline } = await import('./run.js');
  await runPipeline(context, inputs, job);
}

/** The job file, checked whole: each problem becomes an annotation on its line, then the step fails. */
function readJob(context: ActionContext, inputs: PipelineInputs, file: string): JobDefinition {
  try {
    return loadJobFile(file, context.inputs.env('GITHUB_WORKSPACE') ?? process.cwd(), inputs.overrides);
  } catch (error) {
    if (!(error instanceof JobFileError)) throw error;
    for (const problem of error.problems) context.log.error(problem.message, problem.location);
    // The problems are annotated on their lines above: the step's own error does not repeat them.
    const count = error.problems.length;
    throw new UserError(
      `The job file has ${count === 1 ? 'a problem' : `${count} problems`}, annotated above at ${count === 1 ? 'its line' : 'their lines'}; nothing was sent to Azure.`,
      { input: 'job' },
    );
  }
}

/** Post step: cancels the job this step submitted when the workflow stopped while it waited. */
export async function cancelLeftoverJob(context: ActionContext): Promise<void> {
  const runId = context.state.get('run-id');
  if (runId === '' || context.state.get('cancel-in-post') !== 'true') return;
  const { cancelJob } = await import('./run.js');
  await cancelJob(context, readInputs(context), runId);
}

export function planPipeline(inputs: PipelineInputs, job?: JobDefinition): Plan {
  const { common } = inputs;
  const settings: Array<[string, string]> = [
    ['workspace', `${common.azure.subscriptionId}/${common.azure.resourceGroup}/${common.azure.workspace}`],
    ['login', common.azure.authType + (common.azure.authTypeWasAuto ? ' (auto)' : '')],
    [
      'job',
      job
        ? `${job.file} (${job.type}${job.type === 'pipeline' ? `, ${job.steps.length} steps: ${job.steps.map((s) => s.name).join(', ')}` : ''})`
        : (inputs.job ?? '(none)'),
    ],
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
  for (const environment of job ? inlineEnvironmentsOf(job) : [])
    steps.push({
      verb: 'create',
      // A build context's version is azure-ai-ml's hash of its folder, read only when the job runs.
      target: `environments/${ANONYMOUS_ENVIRONMENT_NAME}/versions/${environment.version ?? '<hash of the build context>'}`,
      detail: `unless it exists: the inline environment of ${environment.location.file}:${environment.location.line} (${describeInlineEnvironment(environment)})`,
    });
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
