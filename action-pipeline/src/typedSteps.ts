// Registering what spark, parallel and sweep steps run, as azure-ai-ml registers it: an anonymous
// component version (azureml_anonymous, content-hashed version) for a spark or parallel step, and
// for a sweep step its trial's command component; a registered trial is checked to exist.

import { explainArmError, isNotFound } from '../../shared/azure/armError.js';
import type { WorkspaceConnection } from '../../shared/azure/connect.js';
import { workspaceResourceId } from '../../shared/azure/ids.js';
import { UserError } from '../../shared/errors.js';
import type { PipelineJob, PipelineStep } from './jobFile.js';
import { typedComponentSpec } from './jobFile/steps.js';
import {
  ANONYMOUS_COMPONENT_NAME,
  anonymousComponent,
  anonymousVersion,
  typedResolution,
  type Resolved,
} from './rest.js';

/** Registers the component a typed step points at and answers its ARM id. */
export async function registerTypedStep(
  { client, settings }: WorkspaceConnection,
  job: PipelineJob,
  step: PipelineStep,
  resolved: Resolved,
): Promise<string> {
  if (step.source.kind !== 'typed') throw new Error('not a spark, parallel or sweep step');
  const typed = step.source.step;
  if (typed.type === 'sweep' && typed.trial.kind === 'registered') {
    const [, name = '', version = ''] = /^azureml:([^:]+):(.+)$/.exec(typed.trial.reference) ?? [];
    try {
      await client.componentVersions.get(settings.resourceGroup, settings.workspace, name, version);
    } catch (error) {
      if (isNotFound(error))
        throw new UserError(
          `Step '${step.name}' sweeps component ${typed.trial.reference}, which does not exist in workspace ${settings.workspace}.`,
          { input: 'job' },
        );
      throw explainArmError(error, `reading component ${typed.trial.reference}`);
    }
    return workspaceResourceId(settings, `components/${name}/versions/${version}`);
  }
  const component =
    typed.type === 'sweep'
      ? anonymousComponent(
          job,
          { ...step, source: typed.trial as Extract<typeof typed.trial, { kind: 'file' }> },
          resolved,
        )
      : (() => {
          const componentSpec = typedComponentSpec(
            step as PipelineStep & { source: { kind: 'typed'; step: typeof typed } },
            typedResolution(job, step, resolved),
          );
          return { name: ANONYMOUS_COMPONENT_NAME, version: anonymousVersion(componentSpec), componentSpec };
        })();
  try {
    await client.componentVersions.createOrUpdate(
      settings.resourceGroup,
      settings.workspace,
      component.name,
      component.version,
      { properties: { componentSpec: component.componentSpec, isAnonymous: true, properties: {}, tags: {} } },
    );
  } catch (error) {
    throw explainArmError(error, `registering the component of step '${step.name}'`);
  }
  return workspaceResourceId(settings, `components/${component.name}/versions/${component.version}`);
}
